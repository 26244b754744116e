// Downloading a model from the Hugging Face Hub into the cache, as `huggingface_hub`'s
// `snapshot_download` does, so that `transformers` finds it there too:
//
//   1. GET  /api/models/ORG/NAME/revision/REV     → the commit (`sha`) and the file names
//   2. HEAD /ORG/NAME/resolve/COMMIT/FILE           → per file: its ETag (`X-Linked-Etag`, the
//      SHA-256 of a large file), its size (`X-Linked-Size`) and, for a large file, a redirect
//      to the CDN that serves it
//   3. GET  each file not yet in blobs/, into blobs/<etag>.incomplete (Range requests resume
//      it), checked against its size and SHA-256, renamed to blobs/<etag>
//   4. only then: snapshots/COMMIT/FILE → ../../blobs/<etag> for every file, and refs/REV
//
// So a snapshot appears only when all its files are there and checked.

import Foundation
import TensorKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a download is doing, for the command to show.
public enum HubDownloadEvent {
    /// The revision named a commit.
    case resolved(commit: String)
    /// The files chosen, with their sizes; those with `cached` set are already in the cache.
    case planned([HubRemoteFile])
    /// Bytes of the files to fetch that are on disk (`done`, including any resumed from an
    /// interrupted run) out of all of them (`total`).
    case progress(done: Int, total: Int)
    /// A connection broke after `received` bytes of `file`; the download goes on from there.
    case retrying(file: String, received: Int, reason: String)
}

/// One file of a repository, as the Hub describes it.
public struct HubRemoteFile: Equatable {
    /// Its path in the repository, `model.safetensors`.
    public let name: String
    /// Its size in bytes.
    public let size: Int
    /// Its ETag, without quotes: a SHA-256 (64 hex digits) for a large (LFS) file, else the git
    /// blob id. It names the file in `blobs/`.
    public let etag: String
    /// Where its bytes come from (the CDN for a large file).
    public let location: URL
    /// Whether `blobs/<etag>` is already in the cache.
    public internal(set) var cached: Bool

    /// Whether the ETag is a SHA-256 that the downloaded bytes must match.
    public var hasSHA256: Bool { etag.count == 64 && etag.allSatisfy(\.isHexDigit) }
}

/// Downloads models from the Hub (or any server speaking its protocol: `HF_ENDPOINT`).
///
///     let downloader = HubDownloader(environment: ProcessInfo.processInfo.environment)
///     let snapshot = try downloader.download("HuggingFaceTB/SmolLM2-135M-Instruct") { event in print(event) }
///     // ~/.cache/huggingface/hub/models--HuggingFaceTB--SmolLM2-135M-Instruct/snapshots/<commit>
public struct HubDownloader {
    /// The Hub's address, `https://huggingface.co` unless `HF_ENDPOINT` says otherwise.
    public var endpoint: String
    /// The access token (`HF_TOKEN`), sent to the Hub for private and gated models.
    public var token: String?
    /// Where the files go.
    public var cache: HubCache
    /// How many times a broken connection is resumed in a row, for one file, before giving up
    /// (the count starts again whenever data arrives).
    public var retries = 5
    /// Seconds to wait before resuming.
    public var retryDelay: TimeInterval = 1
    /// Seconds without data before a request is given up.
    public var timeout: TimeInterval = 60

    public init(endpoint: String, token: String?, cache: HubCache) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.cache = cache
    }

    /// The endpoint, token and cache the environment names (`HF_ENDPOINT`, `HF_TOKEN`, and the
    /// cache variables of `HubCache`).
    public init(environment: [String: String]) {
        var endpoint = environment["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.init(endpoint: endpoint, token: environment["HF_TOKEN"] ?? environment["HUGGING_FACE_HUB_TOKEN"],
                  cache: HubCache(environment: environment))
    }

    /// Downloads the configuration, tokenizer files and safetensors weights of `repository` at
    /// `revision` into the cache and returns the snapshot directory. Files already in the cache
    /// are not fetched again; a file an earlier run left unfinished is resumed.
    @discardableResult
    public func download(_ repository: String, revision: String = "main",
                         events: @escaping (HubDownloadEvent) -> Void = { _ in }) throws -> URL {
        guard HubCache.isRepositoryID(repository) else {
            throw HubError("\(repository) is not a Hub repository id", hint: "write it ORG/NAME, as on huggingface.co, e.g. Qwen/Qwen2.5-0.5B-Instruct")
        }
        guard !revision.isEmpty, !revision.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw HubError("--revision \(revision) is not a branch, tag or commit name")
        }
        let http = HubHTTP(timeout: timeout)
        let (commit, names) = try repositoryInfo(repository, revision: revision, http: http)
        events(.resolved(commit: commit))
        let chosen = try HubFileSelection(repository: repository, files: names)
        var files = try (chosen.small + chosen.weights).map {
            try metadata(repository, file: $0, commit: commit, http: http)
        }
        if let index = chosen.index {
            // The index names the shards: fetch it first, then describe them too.
            var indexFile = try metadata(repository, file: index, commit: commit, http: http)
            if !indexFile.cached {
                try fetch(indexFile, repository: repository, http: http, done: 0, total: indexFile.size, events: { _ in })
                indexFile.cached = true
            }
            let data = try Data(contentsOf: blobPath(repository, indexFile))
            let shards = try HubFileSelection.shards(index: data, repository: repository, files: names)
            files.append(indexFile)
            files += try shards.map { try metadata(repository, file: $0, commit: commit, http: http) }
        }
        events(.planned(files))
        let missing = files.filter { !$0.cached }
        let partial = missing.map { partialSize(repository, $0) }
        let total = missing.reduce(0) { $0 + $1.size }
        try checkFreeSpace(needed: total - partial.reduce(0, +), repository: repository)
        var done = partial.reduce(0, +)
        events(.progress(done: done, total: total))
        for (file, resumed) in zip(missing, partial) {
            try fetch(file, repository: repository, http: http, done: done - resumed, total: total, events: events)
            done += file.size - resumed
        }
        let snapshot = try link(files, repository: repository, commit: commit)
        try writeRef(repository, revision: revision, commit: commit)
        return snapshot
    }

    // MARK: - Paths

    func blobsFolder(_ repository: String) -> URL {
        cache.repositoryFolder(repository).appendingPathComponent("blobs")
    }

    func blobPath(_ repository: String, _ file: HubRemoteFile) -> URL {
        blobsFolder(repository).appendingPathComponent(file.etag)
    }

    /// The size of the `.incomplete` file an interrupted run left for `file`, if any.
    private func partialSize(_ repository: String, _ file: HubRemoteFile) -> Int {
        let path = blobPath(repository, file).path + ".incomplete"
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return 0 }
        return min(Int(status.st_size), file.size)
    }

    /// Stops before any download when the disk cannot hold what is left to fetch.
    private func checkFreeSpace(needed: Int, repository: String) throws {
        var folder = blobsFolder(repository)
        while !FileManager.default.fileExists(atPath: folder.path), folder.path != "/" { folder.deleteLastPathComponent() }
        var info = statvfs()
        guard needed > 0, statvfs(folder.path, &info) == 0 else { return }
        let free = Int(info.f_bavail) * Int(info.f_frsize)
        if free < needed {
            throw HubError("the disk is too full: the download needs \(formatByteCount(needed)) and \(folder.path) has \(formatByteCount(free)) free",
                           hint: "free some space, or set HF_HUB_CACHE to a directory on a disk with room")
        }
    }

    /// The headers of every request to the Hub: who we are, and the token if there is one.
    func hubHeaders() -> [String: String] {
        var headers = ["User-Agent": "llm-course-swift/1.0"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        return headers
    }
}

/// `text` with every byte outside `A–Z a–z 0–9 _ . - ~` (and `keeping`) written as `%XX`, as
/// Python's `urllib.parse.quote` does.
func percentEncode(_ text: String, keeping: String = "") -> String {
    var allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
    allowed.insert(charactersIn: keeping)
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}
