// What the Hub says about a repository and its files, before any file is downloaded.

import Foundation

extension HubDownloader {
    /// The commit `revision` names and the repository's file names, from
    /// `GET /api/models/ORG/NAME/revision/REV` (its `sha` and `siblings[].rfilename`).
    func repositoryInfo(_ repository: String, revision: String, http: HubHTTP) throws -> (commit: String, files: [String]) {
        let address = "\(endpoint)/api/models/\(repository)/revision/\(percentEncode(revision))"
        let response = try request("GET", address, repository: repository, revision: revision, what: repository, http: http)
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
              let commit = object["sha"] as? String, let siblings = object["siblings"] as? [[String: Any]] else {
            throw HubError("\(address): the answer is not the Hub's description of a model (no sha and siblings)",
                           hint: "is HF_ENDPOINT (\(endpoint)) a Hugging Face Hub?")
        }
        guard isCommitHash(commit) else { throw HubError("\(address): sha \(commit) is not a commit hash") }
        return (commit, siblings.compactMap { $0["rfilename"] as? String })
    }

    /// `HEAD /ORG/NAME/resolve/COMMIT/FILE`, following redirects on the Hub itself (a renamed
    /// repository) but not the one to the CDN: the Hub's own answer carries `X-Repo-Commit`,
    /// the ETag (`X-Linked-Etag` for a large file, else `ETag`), the size (`X-Linked-Size`,
    /// else `Content-Length`) and, for a large file, the CDN address in `Location`.
    func metadata(_ repository: String, file: String, commit: String, http: HubHTTP) throws -> HubRemoteFile {
        let address = "\(endpoint)/\(repository)/resolve/\(commit)/\(percentEncode(file, keeping: "/"))"
        let response = try request("HEAD", address, repository: repository, revision: commit, what: "\(repository)/\(file)", http: http)
        let notHub = "is HF_ENDPOINT (\(endpoint)) a Hugging Face Hub?"
        guard response.header("X-Repo-Commit") != nil else {
            throw HubError("\(address): the answer has no X-Repo-Commit header", hint: notHub)
        }
        guard let etag = normalizeETag(response.header("X-Linked-Etag") ?? response.header("ETag")),
              !etag.isEmpty, !etag.contains("/"), etag != ".", etag != ".." else {
            throw HubError("\(address): the answer has no usable ETag, so the file cannot be named in the cache", hint: notHub)
        }
        let sizeText = response.header("X-Linked-Size") ?? (response.isRedirect ? nil : response.header("Content-Length"))
        guard let size = sizeText.flatMap({ Int($0) }), size >= 0 else {
            throw HubError("\(address): the answer gives no size (X-Linked-Size or Content-Length)", hint: notHub)
        }
        var location = response.url
        if response.isRedirect, let target = response.header("Location") {
            guard let url = URL(string: target, relativeTo: response.url)?.absoluteURL else {
                throw HubError("\(address): redirects to \(target), which is not an address")
            }
            location = url
        }
        let blob = blobsFolder(repository).appendingPathComponent(etag)
        return HubRemoteFile(name: file, size: size, etag: etag, location: location,
                             cached: FileManager.default.fileExists(atPath: blob.path))
    }

    /// Sends a request to the Hub and turns a failure into a `HubError` that says what to do.
    func request(_ method: String, _ address: String, repository: String, revision: String, what: String,
                 http: HubHTTP) throws -> HubResponse {
        guard let url = URL(string: address), url.scheme == "http" || url.scheme == "https" else {
            throw HubError("\(address) is not an http(s) address", hint: "check HF_ENDPOINT (\(endpoint))")
        }
        let response: HubResponse
        do {
            response = try http.send(method, url, headers: hubHeaders(), redirects: .sameServer)
        } catch let error as HubTransferError {
            throw HubError("cannot reach \(endpoint): \(error.reason)",
                           hint: "check the network connection" + (endpoint == "https://huggingface.co" ? "" : " and HF_ENDPOINT"))
        }
        guard response.isSuccess || (method == "HEAD" && response.isRedirect) else {
            throw HubError.status(response, repository: repository, revision: revision, what: what, tokenGiven: token != nil)
        }
        return response
    }
}

/// An ETag header without its weak marker and quotes: `W/"abc"` and `"abc"` become `abc`
/// (huggingface_hub's `_normalize_etag`).
func normalizeETag(_ header: String?) -> String? {
    guard var etag = header?.trimmingCharacters(in: .whitespaces) else { return nil }
    if etag.hasPrefix("W/") { etag.removeFirst(2) }
    return etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
}

/// Whether `text` is a full commit hash: 40 lowercase hexadecimal digits.
func isCommitHash(_ text: String) -> Bool {
    text.count == 40 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
}
