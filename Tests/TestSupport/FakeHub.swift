// A stand-in for the Hugging Face Hub on 127.0.0.1, speaking its protocol as huggingface_hub
// expects it (file_download.py, _http.py), for the download tests:
//
//   GET  /api/models/ORG/NAME/revision/REV   → {"id", "sha", "siblings": [{"rfilename"}]}
//   HEAD /ORG/NAME/resolve/REV/FILE          → a small file: 200, ETag, Content-Length,
//                                              X-Repo-Commit
//                                            → a large (LFS) file: 302 to the CDN, with
//                                              X-Linked-Etag (its SHA-256), X-Linked-Size,
//                                              X-Repo-Commit
//   GET  the same                            → the file, or the redirect the client follows
//   errors                                   → 401 RepoNotFound, 404 RevisionNotFound /
//                                              EntryNotFound in X-Error-Code, as the Hub sends
//   a renamed repository                     → 307 to the new name, a relative Location
//
// The CDN is a second server (another port, so another host for the client): it serves
// large files by SHA-256, honours `Range: bytes=N-`, and can misbehave on purpose.

import Foundation

/// The fake Hub and its CDN.
public final class FakeHub: @unchecked Sendable {
    /// A repository: a commit and its files by name; `large` ones are served as LFS files.
    public struct Repository {
        public let id: String
        public let commit: String
        public let files: [String: Data]
        public let large: Set<String>
        /// Answers only requests with `Authorization: Bearer <token>` (a private model).
        public let token: String?

        public init(id: String, commit: String, files: [String: Data], large: Set<String>, token: String? = nil) {
            self.id = id
            self.commit = commit
            self.files = files
            self.large = large
            self.token = token
        }
    }

    /// How the CDN misbehaves, per file name.
    public struct Faults {
        /// The first download of these files stops after this fraction of their bytes.
        public var cutFirstDownload: [String: Double] = [:]
        /// These files are always served with one byte changed (same size, wrong SHA-256).
        public var corrupt: Set<String> = []
        /// Every download of these files stops half-way.
        public var alwaysCut: Set<String> = []
        public init() {}
    }

    public private(set) var hub: LocalHTTPServer!
    public private(set) var cdn: LocalHTTPServer!
    private let repositories: [String: Repository]
    /// Old names that redirect to new ones.
    private let renamed: [String: String]
    private let lock = NSLock()
    private var faults: Faults
    private var downloadsSeen: [String: Int] = [:]
    /// The SHA-256 of every large file, by "ORG/NAME/FILE".
    private let sha256: [String: String]

    /// `HF_ENDPOINT` for the client.
    public var endpoint: String { hub.address }

    public init(_ repositories: [Repository], renamed: [String: String] = [:], faults: Faults = Faults()) throws {
        self.repositories = Dictionary(uniqueKeysWithValues: repositories.map { ($0.id, $0) })
        self.renamed = renamed
        self.faults = faults
        var sha256: [String: String] = [:]
        for repo in repositories {
            for name in repo.large { sha256[repo.id + "/" + name] = FakeHub.referenceSHA256(repo.files[name]!) }
        }
        self.sha256 = sha256
        cdn = try LocalHTTPServer { [unowned self] in self.answerCDN($0) }
        hub = try LocalHTTPServer { [unowned self] in self.answerHub($0) }
    }

    deinit {
        hub?.stop()
        cdn?.stop()
    }

    /// Changes the faults (e.g. none, for a second run).
    public func setFaults(_ new: Faults) {
        lock.lock()
        faults = new
        lock.unlock()
    }

    /// The SHA-256 of `data`, as the Hub's X-Linked-Etag gives it, from the system's
    /// `sha256sum` — a reference independent of the course's own SHA-256.
    public static func referenceSHA256(_ data: Data) -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fakehub-\(UUID().uuidString)")
        try! data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = FileManager.default.fileExists(atPath: "/usr/bin/sha256sum") ? ["sha256sum", file.path] : ["shasum", "-a", "256", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try! process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: out, as: UTF8.self).prefix(64))
    }

    // MARK: - The Hub

    private func answerHub(_ request: LocalHTTPServer.Request) -> LocalHTTPServer.Response {
        let path = request.target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.target
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0.removingPercentEncoding ?? String($0) }
        // /api/models/ORG/NAME/revision/REV
        if parts.count == 6, parts[0] == "api", parts[1] == "models", parts[4] == "revision" {
            let id = parts[2] + "/" + parts[3]
            if let new = renamed[id] { return redirect("/api/models/\(new)/revision/\(parts[5])") }
            return withRepository(id, request) { repo in
                guard parts[5] == "main" || parts[5] == repo.commit else { return revisionNotFound(parts[5]) }
                let siblings = repo.files.keys.sorted().map { ["rfilename": $0] }
                let object: [String: Any] = ["_id": "fake", "id": repo.id, "modelId": repo.id, "sha": repo.commit, "private": repo.token != nil, "siblings": siblings]
                return .init(status: 200, headers: [("Content-Type", "application/json")],
                             body: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            }
        }
        // /ORG/NAME/resolve/REV/FILE…
        if parts.count >= 5, parts[2] == "resolve" {
            let id = parts[0] + "/" + parts[1]
            let name = parts[4...].joined(separator: "/")
            if let new = renamed[id] { return redirect("/\(new)/resolve/\(parts[3])/\(name)") }
            return withRepository(id, request) { repo in
                guard parts[3] == "main" || parts[3] == repo.commit else { return revisionNotFound(parts[3]) }
                guard let data = repo.files[name] else {
                    return .init(status: 404, headers: [("X-Error-Code", "EntryNotFound"), ("X-Error-Message", "Entry not found"),
                                                        ("X-Repo-Commit", repo.commit)])
                }
                if repo.large.contains(name) {
                    let sha = sha256[repo.id + "/" + name]!
                    let location = "\(cdn.address)/blobs/\(sha)?file=\(repo.id)/\(name)&signature=fake"
                    return .init(status: 302, headers: [
                        ("Location", location), ("X-Repo-Commit", repo.commit), ("X-Linked-Etag", "\"\(sha)\""),
                        ("X-Linked-Size", String(data.count)), ("ETag", "W/\"pointer-\(sha.prefix(8))\""),
                    ], body: Data("Found. Redirecting to \(location)".utf8))
                }
                // A small file's ETag on the Hub is its git blob id; any 40 hex digits name it here.
                let etag = String(FakeHub.referenceSHA256(Data("blob \(data.count)\0".utf8) + data).prefix(40))
                return .init(status: 200, headers: [("ETag", "\"\(etag)\""), ("X-Repo-Commit", repo.commit),
                                                    ("Content-Type", "text/plain; charset=utf-8"), ("Accept-Ranges", "bytes")],
                             body: data)
            }
        }
        return .init(status: 404, body: Data("Not Found".utf8))
    }

    private func withRepository(_ id: String, _ request: LocalHTTPServer.Request,
                                _ answer: (Repository) -> LocalHTTPServer.Response) -> LocalHTTPServer.Response {
        let authorization = request.headers["authorization"]
        guard let repo = repositories[id] else { return repositoryNotFound() }
        if let token = repo.token {
            if let authorization, authorization != "Bearer \(token)" {
                return .init(status: 401, headers: [("X-Error-Message", "Invalid credentials in Authorization header")],
                             body: Data("{\"error\":\"Invalid credentials in Authorization header\"}".utf8))
            }
            if authorization == nil { return repositoryNotFound() }     // private: as if it did not exist
        }
        return answer(repo)
    }

    private func repositoryNotFound() -> LocalHTTPServer.Response {
        .init(status: 401, headers: [("X-Error-Code", "RepoNotFound"), ("X-Error-Message", "Repository not found")],
              body: Data("{\"error\":\"Repository not found\"}".utf8))
    }

    private func revisionNotFound(_ revision: String) -> LocalHTTPServer.Response {
        .init(status: 404, headers: [("X-Error-Code", "RevisionNotFound"), ("X-Error-Message", "Invalid rev id: \(revision)")],
              body: Data("{\"error\":\"Invalid rev id: \(revision)\"}".utf8))
    }

    private func redirect(_ target: String) -> LocalHTTPServer.Response {
        .init(status: 307, headers: [("Location", target)], body: Data("Temporary Redirect. Redirecting to \(target)".utf8))
    }

    // MARK: - The CDN

    private func answerCDN(_ request: LocalHTTPServer.Request) -> LocalHTTPServer.Response {
        let path = request.target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        let sha = path.hasPrefix("/blobs/") ? String(path.dropFirst(7)) : ""
        let query = request.target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        let file = query.split(separator: "&").first { $0.hasPrefix("file=") }.map { String($0.dropFirst(5)) } ?? ""
        let parts = file.split(separator: "/", maxSplits: 2).map(String.init)
        guard parts.count == 3, sha256[file] == sha, let data = repositories[parts[0] + "/" + parts[1]]?.files[parts[2]] else {
            return .init(status: 404, body: Data("NoSuchKey".utf8))
        }
        let name = parts[2]
        lock.lock()
        let seen = downloadsSeen[name, default: 0]
        downloadsSeen[name] = seen + 1
        let faults = self.faults
        lock.unlock()
        var body = data
        if faults.corrupt.contains(name) { body[body.count / 2] ^= 0xFF }
        var start = 0
        if let range = request.headers["range"], range.hasPrefix("bytes="), range.hasSuffix("-"),
           let first = Int(range.dropFirst(6).dropLast()) {
            guard first < body.count else { return .init(status: 416, headers: [("Content-Range", "bytes */\(body.count)")]) }
            start = first
        }
        var cut: Int?
        if faults.alwaysCut.contains(name) { cut = (body.count - start) / 2 }
        if seen == 0, let fraction = faults.cutFirstDownload[name] { cut = Int(Double(body.count - start) * fraction) }
        var headers: [(String, String)] = [("Content-Type", "application/octet-stream"), ("Accept-Ranges", "bytes"), ("ETag", "\"\(sha)\"")]
        if start > 0 { headers.append(("Content-Range", "bytes \(start)-\(body.count - 1)/\(body.count)")) }
        return .init(status: start > 0 ? 206 : 200, headers: headers, body: body.subdata(in: start..<body.count), cutAfter: cut)
    }
}
