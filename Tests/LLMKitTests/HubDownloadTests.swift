import Foundation
import TestSupport
import XCTest
@testable import LLMKit
import TensorKit

/// Downloads from a fake Hub on 127.0.0.1 (`FakeHub`, started by each test): the cache layout
/// huggingface_hub makes, resuming, SHA-256 checks, and the errors a learner meets.
final class HubDownloadTests: XCTestCase {
    let commit = "5f2c0a8c9e3b7d1f4a6e8c0b2d4f6a8c0e2b4d6f"
    var cacheRoot: URL!

    override func setUpWithError() throws {
        cacheRoot = FileManager.default.temporaryDirectory.appendingPathComponent("hub-download-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: cacheRoot)
    }

    // MARK: - Repositories served

    /// The tiny Llama of the fixtures as a Hub repository, with files the course must not fetch.
    func tinyLlama(id: String = "org/tiny-llama", token: String? = nil) throws -> FakeHub.Repository {
        let files: [String: Data] = [
            "config.json": try Data(contentsOf: fixtureURL("llama-tiny/config.json")),
            "model.safetensors": try Data(contentsOf: fixtureURL("llama-tiny/model.safetensors")),
            "generation_config.json": Data("{\"bos_token_id\": 1, \"eos_token_id\": 2}\n".utf8),
            "tokenizer_config.json": Data("{\"model_max_length\": 64}\n".utf8),
            "README.md": Data("# tiny\n".utf8),
            "pytorch_model.bin": Data(repeating: 7, count: 5000),
            "onnx/model.onnx": Data(repeating: 9, count: 3000),
        ]
        return FakeHub.Repository(id: id, commit: commit, files: files, large: ["model.safetensors", "pytorch_model.bin", "onnx/model.onnx"], token: token)
    }

    /// A repository with sharded weights (the shards' bytes need not be a model: only moved).
    func sharded() -> FakeHub.Repository {
        let generator = TorchGenerator(seed: 11)
        let shard1 = Data(generator.randint(0, 256, [70_000]).map { UInt8($0) })
        let shard2 = Data(generator.randint(0, 256, [50_001]).map { UInt8($0) })
        let index = """
        {"metadata": {"total_size": 120001}, "weight_map": {"a.weight": "model-00001-of-00002.safetensors",
         "b.weight": "model-00002-of-00002.safetensors", "c.weight": "model-00001-of-00002.safetensors"}}
        """
        return FakeHub.Repository(id: "org/sharded", commit: commit, files: [
            "config.json": Data("{\"model_type\": \"llama\"}".utf8), "model.safetensors.index.json": Data(index.utf8),
            "model-00001-of-00002.safetensors": shard1, "model-00002-of-00002.safetensors": shard2,
            "consolidated.safetensors": shard1 + shard2,
        ], large: ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "consolidated.safetensors"])
    }

    func downloader(_ hub: FakeHub, token: String? = nil) -> HubDownloader {
        var downloader = HubDownloader(endpoint: hub.endpoint, token: token, cache: HubCache(root: cacheRoot))
        downloader.retryDelay = 0
        downloader.timeout = 20
        return downloader
    }

    func repositoryFolder(_ id: String) -> URL { HubCache(root: cacheRoot).repositoryFolder(id) }

    /// Every file of the folder, recursively, as relative paths (links not followed).
    func listing(_ folder: URL) -> [String] {
        (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []).sorted()
    }

    // MARK: - Tests

    func testFullDownloadMakesHuggingFaceCacheLayout() throws {
        let repo = try tinyLlama()
        let hub = try FakeHub([repo])
        var events: [HubDownloadEvent] = []
        let snapshot = try downloader(hub).download("org/tiny-llama") { events.append($0) }
        let folder = repositoryFolder("org/tiny-llama")
        XCTAssertEqual(snapshot.path, folder.appendingPathComponent("snapshots/\(commit)").path)

        // refs/main names the commit; each snapshot file is a relative link to its blob, bit-identical
        XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("refs/main"), encoding: .utf8), commit)
        let wanted = ["config.json", "generation_config.json", "model.safetensors", "tokenizer_config.json"]
        XCTAssertEqual(listing(snapshot), wanted)
        let modelSHA = FakeHub.referenceSHA256(repo.files["model.safetensors"]!)
        for name in wanted {
            let link = try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent(name).path)
            XCTAssertTrue(link.hasPrefix("../../blobs/"), link)
            XCTAssertEqual(try Data(contentsOf: snapshot.appendingPathComponent(name)), repo.files[name], name)
            if name == "model.safetensors" { XCTAssertEqual(link, "../../blobs/\(modelSHA)") } else { XCTAssertEqual(link.count, "../../blobs/".count + 40) }
        }
        XCTAssertEqual(listing(folder.appendingPathComponent("blobs")).count, 4, "one blob per file, no .incomplete left")

        // what happened on the wire: the API, one HEAD per file, large files from the CDN
        guard case .resolved(let resolved)? = events.first else { return XCTFail("no resolved event") }
        XCTAssertEqual(resolved, commit)
        let hubRequests = hub.hub.requests.map { "\($0.method) \($0.target)" }
        XCTAssertEqual(hubRequests.first, "GET /api/models/org/tiny-llama/revision/main")
        XCTAssertEqual(hubRequests.filter { $0.hasPrefix("HEAD") }.count, 4)
        XCTAssertEqual(hub.cdn.requests.map(\.method), ["GET"])
        XCTAssertTrue(hub.cdn.requests[0].target.hasPrefix("/blobs/\(modelSHA)?"))
        XCTAssertTrue(hub.hub.requests.allSatisfy { $0.headers["accept-encoding"] == "identity" && $0.headers["authorization"] == nil })
        if case .progress(let done, let total)? = events.last { XCTAssertEqual(done, total) } else { XCTFail("no progress") }

        // found by its Hub id, and it is the same model
        let resolvedDirectory = try resolveModelDirectory("org/tiny-llama", environment: ["HF_HUB_CACHE": cacheRoot.path])
        XCTAssertEqual(resolvedDirectory.path, snapshot.path)
        guard case .llama(let downloaded) = try LoadedModel.load(huggingFace: resolvedDirectory),
              case .llama(let original) = try LoadedModel.load(huggingFace: fixtureURL("llama-tiny")) else { return XCTFail("not a Llama") }
        let ids = [3, 14, 15, 92]
        XCTAssertEqual(withNoGrad { downloaded(ids, shape: [1, 4]) }.data, withNoGrad { original(ids, shape: [1, 4]) }.data)

        // a second run finds everything in the cache and downloads nothing
        let before = hub.cdn.requests.count
        XCTAssertEqual(try downloader(hub).download("org/tiny-llama").path, snapshot.path)
        XCTAssertEqual(hub.cdn.requests.count, before)
    }

    func testShardedWeightsComeFromTheIndex() throws {
        let repo = sharded()
        let hub = try FakeHub([repo])
        let snapshot = try downloader(hub).download("org/sharded")
        let wanted = ["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"]
        XCTAssertEqual(listing(snapshot), wanted)
        for name in wanted { XCTAssertEqual(try Data(contentsOf: snapshot.appendingPathComponent(name)), repo.files[name], name) }
        XCTAssertFalse(hub.cdn.requests.contains { $0.target.contains("consolidated") })
    }

    /// The server drops the connection 40 % into the model; the download goes on from there
    /// with a Range request and ends bit-identical.
    func testBrokenConnectionIsResumedWithARangeRequest() throws {
        let repo = try tinyLlama()
        var faults = FakeHub.Faults()
        faults.cutFirstDownload["model.safetensors"] = 0.4
        let hub = try FakeHub([repo], faults: faults)
        var retried: [Int] = []
        let snapshot = try downloader(hub).download("org/tiny-llama") { event in
            if case .retrying(_, let received, _) = event { retried.append(received) }
        }
        let size = repo.files["model.safetensors"]!.count
        let cut = Int(Double(size) * 0.4)
        XCTAssertEqual(retried, [cut])
        XCTAssertEqual(hub.cdn.requests.map { $0.headers["range"] }, [nil, "bytes=\(cut)-"])
        XCTAssertEqual(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")), repo.files["model.safetensors"])
    }

    /// A run that gives up keeps `<etag>.incomplete` and makes no snapshot; the next run asks
    /// only for the rest.
    func testInterruptedRunIsResumedByTheNextRun() throws {
        let repo = try tinyLlama()
        var faults = FakeHub.Faults()
        faults.alwaysCut = ["model.safetensors"]
        let hub = try FakeHub([repo], faults: faults)
        var first = downloader(hub)
        first.retries = 0
        XCTAssertThrowsError(try first.download("org/tiny-llama")) { error in
            XCTAssertTrue("\(error)".contains("org/tiny-llama/model.safetensors: the download broke off after"), "\(error)")
            XCTAssertTrue("\(error)".contains("hint: run the same command again: it goes on from there"), "\(error)")
        }
        let folder = repositoryFolder("org/tiny-llama")
        let sha = FakeHub.referenceSHA256(repo.files["model.safetensors"]!)
        let partial = folder.appendingPathComponent("blobs/\(sha).incomplete")
        let size = repo.files["model.safetensors"]!.count
        XCTAssertEqual(try Data(contentsOf: partial), repo.files["model.safetensors"]!.prefix(size / 2))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("snapshots").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("refs/main").path))

        hub.setFaults(FakeHub.Faults())
        let snapshot = try downloader(hub).download("org/tiny-llama")
        XCTAssertEqual(hub.cdn.requests.last?.headers["range"], "bytes=\(size / 2)-")
        XCTAssertEqual(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")), repo.files["model.safetensors"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
    }

    /// A file whose SHA-256 is not the Hub's X-Linked-Etag is deleted; no snapshot is made.
    func testCorruptFileIsRejected() throws {
        let repo = try tinyLlama()
        var faults = FakeHub.Faults()
        faults.corrupt = ["model.safetensors"]
        let hub = try FakeHub([repo], faults: faults)
        let sha = FakeHub.referenceSHA256(repo.files["model.safetensors"]!)
        var corrupted = repo.files["model.safetensors"]!
        corrupted[corrupted.count / 2] ^= 0xFF
        XCTAssertThrowsError(try downloader(hub).download("org/tiny-llama")) { error in
            XCTAssertEqual("\(error)", """
            org/tiny-llama/model.safetensors: the downloaded file is corrupt: its SHA-256 is \(FakeHub.referenceSHA256(corrupted)), the Hub says \(sha)
            hint: the file was deleted; run the same command again to download it afresh
            """)
        }
        let folder = repositoryFolder("org/tiny-llama")
        XCTAssertEqual(listing(folder.appendingPathComponent("snapshots")), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("refs/main").path))
        XCTAssertFalse(listing(folder.appendingPathComponent("blobs")).contains { $0.hasPrefix(sha) }, "neither the blob nor its .incomplete")
    }

    func testUnknownRepositoryAndRevisionAre401And404() throws {
        let hub = try FakeHub([try tinyLlama()])
        XCTAssertThrowsError(try downloader(hub).download("org/missing")) { error in
            XCTAssertEqual("\(error)", """
            org/missing: the Hub answered 401: no such repository, or it is private or gated (the Hub says: Repository not found)
            hint: check the name (ORG/NAME, as on huggingface.co); for a private or gated model, make a token at https://huggingface.co/settings/tokens and run again with HF_TOKEN=hf_… set
            """)
        }
        XCTAssertThrowsError(try downloader(hub).download("org/tiny-llama", revision: "v9")) { error in
            XCTAssertEqual("\(error)", """
            org/tiny-llama: no revision v9 (the Hub says: Invalid rev id: v9)
            hint: --revision takes a branch, a tag or a commit of the repository; the default is main
            """)
        }
        XCTAssertThrowsError(try downloader(hub).download("not a repo")) { error in
            XCTAssertTrue("\(error)".hasPrefix("not a repo is not a Hub repository id"), "\(error)")
        }
        // an endpoint that is not a Hub (here the CDN) answers 404
        var wrong = downloader(hub)
        wrong.endpoint = hub.cdn.address
        XCTAssertThrowsError(try wrong.download("org/tiny-llama")) { error in
            XCTAssertTrue("\(error)".hasPrefix("org/tiny-llama: not found (404) at \(hub.cdn.address)/api/models/org/tiny-llama/revision/main"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cacheRoot.path), "nothing written")
    }

    /// HF_TOKEN goes to the Hub, never to the CDN; a missing or wrong token gets a 401 message.
    func testPrivateRepositoryNeedsTheToken() throws {
        let hub = try FakeHub([try tinyLlama(id: "org/private", token: "hf_secret")])
        XCTAssertThrowsError(try downloader(hub).download("org/private")) { error in
            XCTAssertTrue("\(error)".hasPrefix("org/private: the Hub answered 401: no such repository, or it is private or gated"), "\(error)")
        }
        XCTAssertThrowsError(try downloader(hub, token: "hf_wrong").download("org/private")) { error in
            XCTAssertTrue("\(error)".hasPrefix("org/private: the Hub refused the token in HF_TOKEN (401)"), "\(error)")
        }
        let snapshot = try downloader(hub, token: "hf_secret").download("org/private")
        XCTAssertTrue(FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("model.safetensors").path))
        XCTAssertEqual(hub.hub.requests.last?.headers["authorization"], "Bearer hf_secret")
        XCTAssertEqual(hub.cdn.requests.count, 1)
        XCTAssertNil(hub.cdn.requests[0].headers["authorization"], "the token must not go to the CDN")
    }

    /// A renamed repository answers 307 with a relative Location: followed, on the Hub only.
    func testRenamedRepositoryIsFollowed() throws {
        let repo = try tinyLlama()
        let hub = try FakeHub([repo], renamed: ["old-org/tiny-llama": "org/tiny-llama"])
        let snapshot = try downloader(hub).download("old-org/tiny-llama")
        XCTAssertEqual(snapshot.path, repositoryFolder("old-org/tiny-llama").appendingPathComponent("snapshots/\(commit)").path)
        XCTAssertEqual(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")), repo.files["model.safetensors"])
        XCTAssertTrue(hub.hub.requests.contains { $0.method == "HEAD" && $0.target.hasPrefix("/org/tiny-llama/resolve/") })
    }

    #if os(Linux)
    /// A full disk (here /dev/full, which refuses every write with ENOSPC) is named as such.
    func testFullDiskIsReported() throws {
        let repo = try tinyLlama()
        let hub = try FakeHub([repo])
        let blobs = repositoryFolder("org/tiny-llama").appendingPathComponent("blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        let sha = FakeHub.referenceSHA256(repo.files["model.safetensors"]!)
        try FileManager.default.createSymbolicLink(atPath: blobs.appendingPathComponent("\(sha).incomplete").path, withDestinationPath: "/dev/full")
        XCTAssertThrowsError(try downloader(hub).download("org/tiny-llama")) { error in
            XCTAssertTrue("\(error)".hasPrefix("the disk is full: writing model.safetensors to \(blobs.path)/\(sha).incomplete failed after 0 B (No space left on device)"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: repositoryFolder("org/tiny-llama").appendingPathComponent("snapshots").path))
    }
    #endif

    func testEnvironmentNamesEndpointTokenAndCache() {
        let downloader = HubDownloader(environment: ["HF_ENDPOINT": "http://127.0.0.1:9/", "HF_TOKEN": "hf_abc", "HF_HUB_CACHE": "/c"])
        XCTAssertEqual(downloader.endpoint, "http://127.0.0.1:9")
        XCTAssertEqual(downloader.token, "hf_abc")
        XCTAssertEqual(downloader.cache.root.path, "/c")
        let defaults = HubDownloader(environment: ["HOME": "/h", "HF_TOKEN": "", "HF_ENDPOINT": ""])
        XCTAssertEqual(defaults.endpoint, "https://huggingface.co")
        XCTAssertNil(defaults.token)
        XCTAssertEqual(defaults.cache.root.path, "/h/.cache/huggingface/hub")
        XCTAssertEqual(percentEncode("refs/pr/1"), "refs%2Fpr%2F1")
        XCTAssertEqual(percentEncode("sub dir/model.safetensors", keeping: "/"), "sub%20dir/model.safetensors")
        XCTAssertEqual(normalizeETag("W/\"abc\""), "abc")
        XCTAssertEqual(normalizeETag("\"abc\""), "abc")
        XCTAssertEqual(formatByteCount(988_097_824), "988.1 MB")
        XCTAssertEqual(formatByteCount(659), "659 B")
    }
}
