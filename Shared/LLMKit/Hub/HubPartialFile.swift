// A file being downloaded: `blobs/<etag>.incomplete`, as huggingface_hub names it. It stays on
// disk when a download is interrupted, so the next run asks only for the bytes after it
// (an HTTP Range request), and becomes `blobs/<etag>` by a rename once it is whole and checked.

import Foundation
import TensorKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open `.incomplete` file, appended to as data arrives, with the SHA-256 of what it holds.
final class HubPartialFile {
    let path: String
    /// The name of the file in the repository, for messages.
    let name: String
    private var descriptor: Int32
    /// How many bytes the file holds.
    private(set) var size: Int
    /// The SHA-256 of those bytes, kept up to date as they are appended.
    private(set) var hash = SHA256()

    /// Opens (or creates) `path` and hashes the bytes an earlier, interrupted run left in it.
    init(path: String, name: String) throws {
        self.path = path
        self.name = name
        descriptor = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw HubPartialFile.failure(path, name: name, written: 0) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw HubPartialFile.failure(path, name: name, written: 0) }
        size = (status.st_mode & S_IFMT) == S_IFREG ? Int(status.st_size) : 0
        try hashExisting()
    }

    deinit { close() }

    /// Reads what is already in the file, in 4 MB pieces, into the hash.
    private func hashExisting() throws {
        guard size > 0 else { return }
        let chunk = 1 << 22
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var offset = 0
        while offset < size {
            let n = pread(descriptor, buffer.baseAddress!, min(chunk, size - offset), off_t(offset))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw HubPartialFile.failure(path, name: name, written: offset) }
            hash.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            offset += n
        }
    }

    /// Empties the file (a server that ignored the Range request sends the whole file again).
    func truncate() throws {
        guard ftruncate(descriptor, 0) == 0 else { throw HubPartialFile.failure(path, name: name, written: size) }
        size = 0
        hash = SHA256()
    }

    /// Appends `bytes` and hashes them. A full disk is reported as such.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = systemWrite(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw HubPartialFile.failure(path, name: name, written: size + done)
            }
            done += n
        }
        hash.update(bytes)
        size += bytes.count
    }

    /// Flushes the file to disk, closes it and renames it to `destination` in one step.
    func commit(to destination: String) throws {
        guard fsync(descriptor) == 0 else { throw HubPartialFile.failure(path, name: name, written: size) }
        close()
        guard rename(path, destination) == 0 else {
            throw HubError("cannot rename \(path) to \(destination): \(String(cString: strerror(errno)))")
        }
    }

    /// Closes and deletes the file (its bytes are wrong: a size or SHA-256 that does not match).
    func discard() {
        close()
        unlink(path)
    }

    private func close() {
        if descriptor >= 0 {
            _ = systemClose(descriptor)
            descriptor = -1
        }
    }

    /// The error for the last system call's failure; a full disk says so and how to go on.
    private static func failure(_ path: String, name: String, written: Int) -> HubError {
        let code = errno
        let reason = String(cString: strerror(code))
        if code == ENOSPC || code == EDQUOT {
            return HubError("the disk is full: writing \(name) to \(path) failed after \(formatByteCount(written)) (\(reason))",
                            hint: "free some space (or set HF_HUB_CACHE to a disk with room) and run the same command again: it goes on from there")
        }
        return HubError("cannot write \(path) (\(reason))", hint: "check that the cache directory is writable (or set HF_HUB_CACHE)")
    }
}

/// The system's `write(2)` and `close(2)`, under names that do not clash with the methods.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}

private func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}
