// The last steps of a download, once every blob is in: the snapshot's links and the ref.

import Foundation
import TensorKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension HubDownloader {
    /// Links `snapshots/<commit>/<name>` to `../../blobs/<etag>` for every file (a relative link,
    /// as huggingface_hub makes it, so the cache can be moved), each made under a temporary
    /// name and renamed into place. Returns the snapshot directory.
    func link(_ files: [HubRemoteFile], repository: String, commit: String) throws -> URL {
        let snapshot = cache.repositoryFolder(repository).appendingPathComponent("snapshots").appendingPathComponent(commit)
        for file in files {
            let pointer = snapshot.appendingPathComponent(file.name)
            try createDirectory(pointer.deletingLastPathComponent())
            let depth = file.name.split(separator: "/").count + 1       // up from the file's folder to the repository's
            let target = String(repeating: "../", count: depth) + "blobs/" + file.etag
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: pointer.path)) == target { continue }
            let temporary = pointer.deletingLastPathComponent().appendingPathComponent(".\(pointer.lastPathComponent).\(UUID().uuidString).tmp")
            guard symlink(target, temporary.path) == 0 else {
                throw HubError("cannot make the link \(temporary.path) (\(String(cString: strerror(errno))))",
                               hint: "the cache must be on a file system with symbolic links (or set HF_HUB_CACHE)")
            }
            guard rename(temporary.path, pointer.path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary.path)
                throw HubError("cannot rename \(temporary.path) to \(pointer.path) (\(reason))")
            }
        }
        return snapshot
    }

    /// Records that `revision` (a branch or tag) is `commit`, in `refs/<revision>`, unless the
    /// revision is the commit itself.
    func writeRef(_ repository: String, revision: String, commit: String) throws {
        guard revision != commit else { return }
        let ref = cache.repositoryFolder(repository).appendingPathComponent("refs").appendingPathComponent(revision)
        if (try? String(contentsOf: ref, encoding: .utf8)) == commit { return }
        try createDirectory(ref.deletingLastPathComponent())
        do {
            try writeFileAtomically(Data(commit.utf8), to: ref)
        } catch {
            throw HubError("cannot write \(ref.path): \(error)")
        }
    }
}
