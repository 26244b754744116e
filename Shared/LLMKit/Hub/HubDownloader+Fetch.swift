// Fetching one file into blobs/: appended to `<etag>.incomplete` as it arrives, resumed with
// a Range request when the connection breaks, checked, then renamed to `<etag>`.

import Foundation
import TensorKit

extension HubDownloader {
    /// Downloads `file` into `blobs/<etag>`. `done` bytes of other files are already on disk, of
    /// `total`, for the progress events.
    func fetch(_ file: HubRemoteFile, repository: String, http: HubHTTP, done: Int, total: Int,
               events: @escaping (HubDownloadEvent) -> Void) throws {
        let blob = blobPath(repository, file)
        try createDirectory(blobsFolder(repository))
        let partial = try HubPartialFile(path: blob.path + ".incomplete", name: file.name)
        if partial.size > file.size { try partial.truncate() }
        // Only the Hub gets the token: a CDN address is signed and must not see it.
        var headers = hubHeaders()
        if file.location.host != URL(string: endpoint)?.host || file.location.port != URL(string: endpoint)?.port {
            headers["Authorization"] = nil
        }
        var attemptsLeft = retries
        while partial.size < file.size {
            let before = partial.size
            var requestHeaders = headers
            if before > 0 { requestHeaders["Range"] = "bytes=\(before)-" }
            let outcome = Result {
                try http.stream("GET", file.location, headers: requestHeaders, redirects: .all, onResponse: { response in
                    guard response.isSuccess else { return }
                    if response.status == 200 && partial.size > 0 {
                        try partial.truncate()               // the server sent the whole file again
                    } else if response.status == 206, let start = contentRangeStart(response.header("Content-Range")), start != partial.size {
                        throw HubTransferError(url: response.url, reason: "the server resumed at byte \(start), not \(partial.size)")
                    }
                }, onData: { bytes in
                    guard partial.size + bytes.count <= file.size else {
                        throw HubError("\(repository)/\(file.name): the server sent more than the \(file.size) bytes the Hub announced")
                    }
                    try partial.append(bytes)
                    events(.progress(done: done + partial.size, total: total))
                })
            }
            switch outcome {
            case .success(let response) where response.isSuccess:
                if partial.size < file.size {
                    try retryOrFail(file, repository: repository, partial: partial, received: partial.size > before,
                                    reason: "the answer ended after \(partial.size) of \(file.size) bytes", attemptsLeft: &attemptsLeft, events: events)
                }
            case .success(let response):
                if [408, 429, 500, 502, 503, 504].contains(response.status) {
                    try retryOrFail(file, repository: repository, partial: partial, received: false,
                                    reason: "the server answered \(response.status)", attemptsLeft: &attemptsLeft, events: events)
                } else {
                    throw HubError.status(response, repository: repository, revision: "", what: "\(repository)/\(file.name)",
                                          tokenGiven: headers["Authorization"] != nil)
                }
            case .failure(let error as HubTransferError):
                if partial.size > file.size { partial.discard(); throw HubError("\(repository)/\(file.name): more bytes than announced") }
                try retryOrFail(file, repository: repository, partial: partial, received: partial.size > before,
                                reason: error.reason, attemptsLeft: &attemptsLeft, events: events)
            case .failure(let error):
                throw error
            }
        }
        try verify(file, repository: repository, partial: partial)
        try partial.commit(to: blob.path)
    }

    /// After a broken transfer: waits and lets the loop resume, or gives up once `retries`
    /// attempts in a row brought no data. The `.incomplete` file stays for the next run.
    private func retryOrFail(_ file: HubRemoteFile, repository: String, partial: HubPartialFile, received: Bool, reason: String,
                             attemptsLeft: inout Int, events: (HubDownloadEvent) -> Void) throws {
        if received { attemptsLeft = retries }
        guard attemptsLeft > 0 else {
            throw HubError("\(repository)/\(file.name): the download broke off after \(formatByteCount(partial.size)) of \(formatByteCount(file.size)) (\(reason))",
                           hint: "run the same command again: it goes on from there")
        }
        attemptsLeft -= 1
        events(.retrying(file: file.name, received: partial.size, reason: reason))
        if retryDelay > 0 { Thread.sleep(forTimeInterval: retryDelay) }
    }

    /// Checks the whole file's size and, for a large file, its SHA-256 against the ETag. A file
    /// that fails is deleted (its bytes are wrong; resuming it would keep them).
    private func verify(_ file: HubRemoteFile, repository: String, partial: HubPartialFile) throws {
        guard partial.size == file.size else {
            partial.discard()
            throw HubError("\(repository)/\(file.name): received \(partial.size) bytes, the Hub announced \(file.size)",
                           hint: "run the same command again")
        }
        if file.hasSHA256 {
            let digest = partial.hash.finalize().hex
            guard digest == file.etag.lowercased() else {
                partial.discard()
                throw HubError("\(repository)/\(file.name): the downloaded file is corrupt: its SHA-256 is \(digest), the Hub says \(file.etag.lowercased())",
                               hint: "the file was deleted; run the same command again to download it afresh")
            }
        }
    }

    /// Creates `folder` and its parents, or says why it cannot.
    func createDirectory(_ folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw HubError("cannot create \(folder.path) (\(error.localizedDescription))",
                           hint: "set HF_HUB_CACHE to a directory you can write to")
        }
    }
}

/// The first byte of a `Content-Range: bytes START-END/SIZE` header.
func contentRangeStart(_ header: String?) -> Int? {
    guard let header, header.hasPrefix("bytes ") else { return nil }
    return Int(header.dropFirst(6).prefix { $0 != "-" })
}
