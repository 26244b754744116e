import Foundation
import TestSupport
import XCTest
@testable import LLMKit
import TensorKit

/// SHA-256 against the standard's test vectors and the system's sha256sum; the cache's place
/// and layout by huggingface_hub's rules; Hub ids resolved to snapshot directories.
final class HubCacheTests: XCTestCase {
    /// FIPS 180-2's examples (appendix B) and NIST's long-message vector.
    func testSHA256KnownVectors() {
        let vectors: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ]
        for (text, digest) in vectors {
            XCTAssertEqual(SHA256.hash(Array(text.utf8)).hex, digest, "\"\(text)\"")
        }
        var million = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { million.update(chunk) }
        XCTAssertEqual(million.finalize().hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        XCTAssertEqual(million.count, 1_000_000)
    }

    /// Lengths around the 64-byte block and its 56-byte padding limit, fed in uneven pieces,
    /// against the system's sha256sum; and a real checkpoint file.
    func testSHA256MatchesSha256sumAtBlockBoundaries() throws {
        let generator = TorchGenerator(seed: 5)
        for length in [1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000] {
            let bytes = generator.randint(0, 256, [length]).map { UInt8($0) }
            var hash = SHA256()
            var start = 0, piece = 1
            while start < bytes.count {                    // pieces of 1, 2, 3, … bytes
                let end = min(bytes.count, start + piece)
                hash.update(Array(bytes[start..<end]))
                start = end
                piece += 1
            }
            XCTAssertEqual(hash.finalize().hex, FakeHub.referenceSHA256(Data(bytes)), "length \(length)")
        }
        let model = try Data(contentsOf: fixtureURL("llama-tiny/model.safetensors"))
        XCTAssertEqual(SHA256.hash([UInt8](model)).hex, FakeHub.referenceSHA256(model))
    }

    /// $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else
    /// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub; ~ and $VARS expanded.
    func testCacheLocationRules() {
        let home = "/home/learner"
        let cases: [([String: String], String)] = [
            (["HOME": home], "/home/learner/.cache/huggingface/hub"),
            (["HOME": home, "XDG_CACHE_HOME": "/xdg"], "/xdg/huggingface/hub"),
            (["HOME": home, "XDG_CACHE_HOME": "/xdg", "HF_HOME": "~/hf"], "/home/learner/hf/hub"),
            (["HOME": home, "HF_HOME": "/data/hf", "HUGGINGFACE_HUB_CACHE": "/old"], "/old"),
            (["HOME": home, "HF_HOME": "/data/hf", "HUGGINGFACE_HUB_CACHE": "/old", "HF_HUB_CACHE": "$SCRATCH/models"], "$SCRATCH/models"),
            (["HOME": home, "HF_HUB_CACHE": "${SCRATCH}/models", "SCRATCH": "/scratch"], "/scratch/models"),
            (["HOME": home, "HF_HUB_CACHE": "$SCRATCH/m", "SCRATCH": "/s"], "/s/m"),
        ]
        for (environment, expected) in cases {
            XCTAssertEqual(HubCache.rootPath(environment: environment), expected, "\(environment)")
        }
        XCTAssertEqual(HubCache(root: URL(fileURLWithPath: "/c")).repositoryFolder("Qwen/Qwen2.5-0.5B-Instruct").path,
                       "/c/models--Qwen--Qwen2.5-0.5B-Instruct")
        XCTAssertEqual(HubCache(root: URL(fileURLWithPath: "/c")).repositoryFolder("gpt2").path, "/c/models--gpt2")
    }

    /// huggingface_hub's validate_repo_id, case by case.
    func testRepositoryIDs() {
        for good in ["gpt2", "Qwen/Qwen2.5-0.5B-Instruct", "HuggingFaceTB/SmolLM2-135M-Instruct", "a_b/c.d-e", "org/x"] {
            XCTAssertTrue(HubCache.isRepositoryID(good), good)
        }
        for bad in ["", "/abs/path", "a/b/c", "org/", "/name", "-org/name", "org/name.", "a--b/c", "a/b..c", "org/name.git",
                    "org name/x", "./x", "~/models", String(repeating: "x", count: 97)] {
            XCTAssertFalse(HubCache.isRepositoryID(bad), bad)
        }
    }

    /// A Hub id resolves through refs/main to its snapshot; a directory is taken as it is; a
    /// missing model gets an error naming where it looked and the download command.
    func testResolveModelDirectory() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hub-resolve-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let commit = "0123456789abcdef0123456789abcdef01234567"
        let repo = root.appendingPathComponent("models--org--tiny")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("snapshots/\(commit)"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try Data(commit.utf8).write(to: repo.appendingPathComponent("refs/main"))
        let environment = ["HF_HUB_CACHE": root.path, "HOME": "/nonexistent"]

        XCTAssertEqual(try resolveModelDirectory("org/tiny", environment: environment).path, repo.appendingPathComponent("snapshots/\(commit)").path)
        XCTAssertEqual(try resolveModelDirectory(root.path, environment: environment).path, root.path)
        XCTAssertEqual(try resolveModelDirectory("/no/such/model", environment: environment).path, "/no/such/model")
        XCTAssertEqual(HubCache(root: root).snapshot("org/tiny", revision: commit)?.path, repo.appendingPathComponent("snapshots/\(commit)").path)

        XCTAssertThrowsError(try resolveModelDirectory("org/other", environment: environment)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("org/other: is neither a directory nor a model in the Hugging Face cache"), text)
            XCTAssertTrue(text.contains("\(root.path)/models--org--other does not exist"), text)
            XCTAssertTrue(text.contains("hint: download it with: swift run Chapter13_AutoregressiveLoopAndKVCache download org/other"), text)
        }
        try Data("fedcba9876543210fedcba9876543210fedcba98".utf8).write(to: repo.appendingPathComponent("refs/main"))
        XCTAssertThrowsError(try resolveModelDirectory("org/tiny", environment: environment)) { error in
            XCTAssertTrue("\(error)".contains("names commit fedcba9876543210fedcba9876543210fedcba98, but \(repo.path)/snapshots has no such folder"), "\(error)")
        }
    }
}
