import Foundation
import XCTest

/// `Chapter13_AutoregressiveLoopAndKVCache chat-template TEMPLATE CASES.jsonl` against
/// `transformers`' `apply_chat_template` on Tests/Fixtures/hf/chat-templates/ (72 cases, seven
/// real templates): every case rendered character for character, or the same error message.
final class ChatTemplateChapterTests: XCTestCase {
    let chapter = "Chapter13_AutoregressiveLoopAndKVCache"
    let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures/hf/chat-templates")

    func testCommandMatchesTransformersOnEveryFixtureCase() throws {
        let lines = try String(contentsOf: fixtures.appendingPathComponent("cases.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 72)
        // The cases of each template (named by their "template" field) go to the command together.
        var byTemplate: [String: [(line: String, json: [String: Any])]] = [:]
        for line in lines {
            let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            byTemplate[json["template"] as! String, default: []].append((line, json))
        }
        XCTAssertEqual(byTemplate.count, 7)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("chat-template-cases-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var checked = 0
        for name in byTemplate.keys.sorted() {
            let cases = byTemplate[name]!
            let input = scratch.appendingPathComponent("\(name).jsonl")
            try (cases.map(\.line).joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
            let run = try runChapter(chapter, ["chat-template", fixtures.appendingPathComponent(name).path, input.path])
            XCTAssertEqual(run.status, 0, "\(name): \(run.stderr)")
            let outputs = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            XCTAssertEqual(outputs.count, cases.count, name)
            for (k, (c, out)) in zip(cases, outputs).enumerated() {
                let printed = try JSONSerialization.jsonObject(with: Data(out.utf8), options: .fragmentsAllowed)
                if let expected = c.json["rendered"] as? String {
                    XCTAssertEqual(printed as? String, expected, "\(name) case \(k + 1)")
                } else {
                    let error = (printed as? [String: Any])?["error"] as? String
                    XCTAssertEqual(error, c.json["error"] as? String, "\(name) case \(k + 1)")
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 72)
    }

    func testCommandErrors() throws {
        let template = fixtures.appendingPathComponent("chatml.jinja").path
        let missing = try runChapter(chapter, ["chat-template", "/no/such/template.jinja", fixtures.appendingPathComponent("cases.jsonl").path])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/no/such/template.jinja: no such file or directory"), missing.stderr)
        let usage = try runChapter(chapter, ["chat-template", template])
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.stderr.contains("usage: chat-template"), usage.stderr)

        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("chat-template-bad-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n{\"messages\": 3}\n".write(to: scratch, atomically: true, encoding: .utf8)
        let bad = try runChapter(chapter, ["chat-template", template, scratch.path])
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stdout, "", "nothing is printed before a bad line is found")
        XCTAssertTrue(bad.stderr.contains("line 2 has no \"messages\" list"), bad.stderr)

        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).jinja")
        defer { try? FileManager.default.removeItem(at: broken) }
        try "{% for m in messages %}{{ m.content }}".write(to: broken, atomically: true, encoding: .utf8)
        let unparsable = try runChapter(chapter, ["chat-template", broken.path, fixtures.appendingPathComponent("cases.jsonl").path])
        XCTAssertEqual(unparsable.status, 2)
        XCTAssertTrue(unparsable.stderr.contains("Unexpected end of template. Jinja was looking for the following tags: 'endfor' or 'else'."),
                      unparsable.stderr)
    }
}
