import Foundation
import TestSupport
import XCTest

/// `Chapter13_AutoregressiveLoopAndKVCache download ORG/NAME` against a fake Hub on 127.0.0.1
/// (HF_ENDPOINT), into a temporary cache (HF_HUB_CACHE); then the model is run by its Hub id.
final class DownloadChapterTests: XCTestCase {
    let chapter = "Chapter13_AutoregressiveLoopAndKVCache"

    func testDownloadThenGenerateByHubID() throws {
        let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
        let files: [String: Data] = [
            "config.json": try Data(contentsOf: fixtures.appendingPathComponent("llama-tiny/config.json")),
            "model.safetensors": try Data(contentsOf: fixtures.appendingPathComponent("llama-tiny/model.safetensors")),
            "README.md": Data("# tiny\n".utf8),
        ]
        let commit = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
        let hub = try FakeHub([FakeHub.Repository(id: "course/llama-tiny", commit: commit, files: files, large: ["model.safetensors"])])
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("hub-chapter-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let environment = ["HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": cache.path, "HF_TOKEN": ""]

        let download = try runChapter(chapter, ["download", "course/llama-tiny"], environment: environment, timeout: 60)
        XCTAssertEqual(download.status, 0, download.stderr)
        let snapshot = cache.appendingPathComponent("models--course--llama-tiny/snapshots/\(commit)")
        XCTAssertTrue(download.stdout.hasPrefix("course/llama-tiny at main: commit \(commit) from \(hub.endpoint)\n"), download.stdout)
        let sha = FakeHub.referenceSHA256(files["model.safetensors"]!)
        XCTAssertTrue(download.stdout.contains("\n  config.json            715 B\n  model.safetensors   494.9 kB   sha256 \(sha.prefix(12))…\n"), download.stdout)
        XCTAssertTrue(download.stdout.contains("done: \(snapshot.path) (weights 494.9 kB)"), download.stdout)
        XCTAssertEqual(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")), files["model.safetensors"])

        // greedy generation by Hub id equals Hugging Face's, as from the fixture directory
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("generation/greedy.json"))) as! [String: Any]
        let llama = (json["cases"] as! [[String: Any]]).first { $0["model"] as? String == "llama-tiny" }!
        let prompt = (llama["prompt"] as! [Int]).map(String.init).joined(separator: ",")
        let expected = llama["generated"] as! [Int]
        let run = try runChapter(chapter, ["generate", "course/llama-tiny", "--prompt-ids", prompt, "--max-new-tokens", String(expected.count), "--json"],
                                 environment: ["HF_HUB_CACHE": cache.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.split(separator: "\n").last!.utf8)) as! [String: Any]
        XCTAssertEqual(object["ids"] as? [Int], expected)

        // a model that is not in the cache: where it looked, and how to download it
        let absent = try runChapter(chapter, ["generate", "course/absent", "--prompt-ids", "1"], environment: ["HF_HUB_CACHE": cache.path])
        XCTAssertEqual(absent.status, 2)
        XCTAssertTrue(absent.stderr.hasPrefix("error: course/absent: is neither a directory nor a model in the Hugging Face cache"), absent.stderr)
        XCTAssertTrue(absent.stderr.contains("looked in the cache \(cache.path): \(cache.path)/models--course--absent does not exist"), absent.stderr)
        XCTAssertTrue(absent.stderr.contains("hint: download it with: swift run Chapter13_AutoregressiveLoopAndKVCache download course/absent"), absent.stderr)
    }

    func testDownloadErrorsExitNonZero() throws {
        let hub = try FakeHub([])
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("hub-chapter-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let environment = ["HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": cache.path, "HF_TOKEN": ""]
        let missing = try runChapter(chapter, ["download", "course/missing"], environment: environment, timeout: 60)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.hasPrefix("error: course/missing: the Hub answered 401: no such repository, or it is private or gated"), missing.stderr)
        let usage = try runChapter(chapter, ["download"], environment: environment)
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.stderr.hasPrefix("error: usage: download ORG/NAME [--revision R]"), usage.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.path), "nothing written")
    }
}
