// Chapter 13 `chat MODEL`, driven from a pipe on the tiny Qwen2 chat model (hf/qwen2-chat:
// ChatML template, Qwen2-style tokenizer.json, a context of 256 tokens). Every reply is checked
// against the course's own uncached generation (`generate --prompt … --no-cache`) on the same
// templated conversation, and the first against transformers' greedy generate() (greedy.json).

import Foundation
import XCTest

final class ChatChapterTests: XCTestCase {
    let chapter = "Chapter13_AutoregressiveLoopAndKVCache"
    let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
    var chatModel: URL { fixtures.appendingPathComponent("hf/qwen2-chat") }
    var tokenizerFile: URL { chatModel.appendingPathComponent("tokenizer.json") }
    let imEnd = 2                                     // <|im_end|>: config.json's eos_token_id and the template's eos_token

    /// transformers' greedy generate() on templated prompts (12 new ids each, no end of sequence).
    func greedyCases() throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: chatModel.appendingPathComponent("greedy.json"))) as! [[String: Any]]
    }

    /// Runs `chat MODEL --json` with `lines` as its input; one JSON object per printed line.
    func chat(_ lines: [String], _ flags: [String] = [], model: URL? = nil) throws -> (objects: [[String: Any]], run: ChapterRun) {
        let run = try runChapter(chapter, ["chat", (model ?? chatModel).path, "--json", "--no-timing"] + flags,
                                 input: lines.map { $0 + "\n" }.joined())
        XCTAssertEqual(run.status, 0, run.stderr)
        let objects = try run.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        return (objects, run)
    }

    /// The conversation as the ChatML template writes it, with the generation prompt (checked
    /// against transformers' renderings in greedy.json below).
    func chatML(_ messages: [(role: String, content: String)]) -> String {
        messages.map { "<|im_start|>\($0.role)\n\($0.content)<|im_end|>\n" }.joined() + "<|im_start|>assistant\n"
    }

    /// The course's own uncached greedy generation after `prompt` (text, special tokens included).
    func uncachedIDs(_ prompt: String, maxNewTokens: Int, model: URL? = nil) throws -> [Int] {
        let run = try runChapter(chapter, ["generate", (model ?? chatModel).path, "--prompt", prompt, "--no-cache", "--json",
                                           "--max-new-tokens", String(maxNewTokens)])
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.split(separator: "\n").last!.utf8)) as! [String: Any]
        return object["ids"] as! [Int]
    }

    /// Chapter 1's `encode hf` of each text (the tokenizers library's ids, tested there).
    func encode(_ texts: [String]) throws -> [[Int]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("texts-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        let lines = try texts.map { String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0]), as: UTF8.self) }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        let run = try runChapter("Chapter01_DataAndTokenization", ["encode", "hf", tokenizerFile.path, file.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        return try run.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [Int] }
    }

    /// Chapter 1's `decode hf` of each list of ids.
    func decode(_ idLists: [[Int]]) throws -> [String] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ids-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(idLists.map { "{\"ids\": \($0)}\n" }.joined().utf8).write(to: file)
        let run = try runChapter("Chapter01_DataAndTokenization", ["decode", "hf", tokenizerFile.path, file.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        return try run.stdout.split(separator: "\n").map { try JSONDecoder().decode(String.self, from: Data($0.utf8)) }
    }

    /// A copy of the chat model with files replaced or added.
    func modelCopy(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        for name in try FileManager.default.contentsOfDirectory(atPath: chatModel.path) where files[name] == nil {
            try FileManager.default.copyItem(at: chatModel.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        return dir
    }

    // MARK: - Turns against uncached generation

    /// Five turns from a pipe: each reply is exactly the uncached greedy continuation of the
    /// templated conversation so far; the cache is reused exactly when the cached ids are a
    /// prefix of the conversation's ids, and then only the ids after them are prefilled.
    func testTurnsEqualUncachedGreedyGeneration() throws {
        let cases = try greedyCases()
        // the ChatML writer of this test against transformers' renderings, one and several turns
        for c in cases {
            let messages = (c["messages"] as! [[String: String]]).map { (role: $0["role"]!, content: $0["content"]!) }
            XCTAssertEqual(chatML(messages), c["prompt"] as? String)
        }
        let lines = ["Hello!", "What is 2+2?", "Tell me more.", "OK", "Yes"]
        let (turns, run) = try chat(lines, ["--max-new-tokens", "12"])
        XCTAssertEqual(turns.count, lines.count, run.stderr)
        // the first prompt is greedy.json's first: transformers' own 12 greedy ids
        XCTAssertEqual(cases[0]["prompt"] as? String, chatML([(role: "user", content: "Hello!")]))
        XCTAssertEqual(turns[0]["ids"] as? [Int], cases[0]["new_ids"] as? [Int])
        XCTAssertEqual(turns[0]["prompt_tokens"] as? Int, (cases[0]["prompt_ids"] as! [Int]).count)

        let replies = try decode(turns.map { ($0["ids"] as! [Int]).filter { $0 != imEnd } })
        var messages: [(role: String, content: String)] = []
        var prompts: [String] = []
        for (k, line) in lines.enumerated() {
            messages.append((role: "user", content: line))
            prompts.append(chatML(messages))
            XCTAssertEqual(turns[k]["reply"] as? String, replies[k], "turn \(k + 1): the reply kept is the decoding of its ids")
            messages.append((role: "assistant", content: replies[k]))
        }
        let promptIDs = try encode(prompts)
        var reusedTurns = 0, missedTurns = 0
        for k in lines.indices {
            let ids = turns[k]["ids"] as! [Int]
            XCTAssertEqual(ids, try uncachedIDs(prompts[k], maxNewTokens: 12), "turn \(k + 1)")
            XCTAssertEqual(turns[k]["prompt_tokens"] as? Int, promptIDs[k].count, "turn \(k + 1)")
            XCTAssertEqual(turns[k]["stop"] as? String, ids.last == imEnd ? "eos" : "max_new_tokens")
            guard k > 0 else {
                XCTAssertEqual(turns[k]["reused_tokens"] as? Int, 0)
                continue
            }
            // what the cache holds after turn k: its prompt and reply, but the reply's last id (chosen, never fed)
            let cached = promptIDs[k - 1] + (turns[k - 1]["ids"] as! [Int]).dropLast()
            if promptIDs[k].starts(with: cached) {
                reusedTurns += 1
                XCTAssertEqual(turns[k]["reused_tokens"] as? Int, cached.count, "turn \(k + 1)")
                XCTAssertEqual(turns[k]["prefilled_tokens"] as? Int, promptIDs[k].count - cached.count, "turn \(k + 1)")
                XCTAssertTrue(turns[k]["cache_miss"] is NSNull, "turn \(k + 1)")
            } else {
                missedTurns += 1
                XCTAssertEqual(turns[k]["reused_tokens"] as? Int, 0, "turn \(k + 1)")
                XCTAssertEqual(turns[k]["prefilled_tokens"] as? Int, promptIDs[k].count, "turn \(k + 1)")
                XCTAssertEqual(turns[k]["cache_miss"] as? String, "reply", "turn \(k + 1): the template is the same, the reply's ids are not")
            }
        }
        // this random model writes both: replies that tokenize back, and some that do not
        XCTAssertEqual(reusedTurns, 2)
        XCTAssertEqual(missedTurns, 2)
        XCTAssertTrue(run.stderr.contains("the last reply is not written with the ids the model generated"), run.stderr)

        // --no-cache: the same replies, every turn computed from scratch
        let (uncached, _) = try chat(lines, ["--max-new-tokens", "12", "--no-cache"])
        XCTAssertEqual(uncached.map { $0["ids"] as! [Int] }, turns.map { $0["ids"] as! [Int] })
        XCTAssertEqual(uncached.map { $0["reused_tokens"] as! Int }, [0, 0, 0, 0, 0])
        // without --json: the replies as text, one line each
        let text = try runChapter(chapter, ["chat", chatModel.path, "--max-new-tokens", "12"], input: lines.joined(separator: "\n"))
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertEqual(text.stdout, replies.map { $0 + "\n" }.joined())
        XCTAssertTrue(text.stderr.contains("turn 3: 82 prompt tokens, 64 from the cache, 18 prefilled; 12 generated"), text.stderr)
    }

    /// --system opens the conversation: greedy.json's second prompt.
    func testSystemMessage() throws {
        let c = try greedyCases()[1]
        let (turns, _) = try chat(["What is 2+2?"], ["--system", "You are a helpful assistant.", "--max-new-tokens", "12"])
        XCTAssertEqual(turns.count, 1)
        XCTAssertEqual(turns[0]["ids"] as? [Int], c["new_ids"] as? [Int])
        XCTAssertEqual(turns[0]["prompt_tokens"] as? Int, (c["prompt_ids"] as! [Int]).count)
    }

    // MARK: - /reset, end of sequence, templates that rewrite, the context

    /// After /reset the same question gets the reply of a fresh session (greedy, and sampled:
    /// the sampler is seeded again).
    func testResetStartsOver() throws {
        let (turns, _) = try chat(["Hello!", "What is 2+2?", "/reset", "What is 2+2?", "/quit", "Never read"], ["--max-new-tokens", "12"])
        XCTAssertEqual(turns.count, 4)
        XCTAssertEqual(turns[2]["reset"] as? Bool, true)
        let (fresh, _) = try chat(["What is 2+2?"], ["--max-new-tokens", "12"])
        XCTAssertEqual(NSDictionary(dictionary: turns[3]), NSDictionary(dictionary: fresh[0]))
        XCTAssertEqual(turns[3]["reused_tokens"] as? Int, 0)
        XCTAssertNotEqual(turns[1]["ids"] as? [Int], fresh[0]["ids"] as? [Int], "the question after a first turn gets another reply")

        let sampling = ["--max-new-tokens", "12", "--temperature", "1.5", "--top-k", "50", "--seed", "7"]
        let (sampled, _) = try chat(["Hello!", "/reset", "Hello!"], sampling)
        XCTAssertEqual(sampled[0]["ids"] as? [Int], sampled[2]["ids"] as? [Int])
        XCTAssertNotEqual(sampled[0]["ids"] as? [Int], try greedyCases()[0]["new_ids"] as? [Int], "the sampling flags reach chat")
        let (otherSeed, _) = try chat(["Hello!"], Array(sampling.dropLast()) + ["8"])
        XCTAssertNotEqual(otherSeed[0]["ids"] as? [Int], sampled[0]["ids"] as? [Int])
    }

    /// A reply ends at an end-of-sequence id (generation_config.json's, here the fifth greedy
    /// token, besides the template's <|im_end|>), which is not printed; the next turn goes on.
    func testEndOfSequenceStopsAReply() throws {
        let greedy = try greedyCases()[0]["new_ids"] as! [Int]
        let eos = greedy[5]
        XCTAssertFalse(greedy[..<5].contains(eos))
        let model = try modelCopy(["generation_config.json": "{\"eos_token_id\": [\(eos)]}"])
        let (turns, run) = try chat(["Hello!", "Go on."], ["--max-new-tokens", "12"], model: model)
        XCTAssertEqual(turns[0]["ids"] as? [Int], Array(greedy[...5]))
        XCTAssertEqual(turns[0]["stop"] as? String, "eos")
        let reply = try decode([Array(greedy[..<5])])[0]
        XCTAssertEqual(turns[0]["reply"] as? String, reply)
        XCTAssertTrue(run.stderr.contains("replies end at <|im_end|>, "), "the template's eos_token too: \(run.stderr)")
        // the second turn: the uncached continuation of the conversation, up to its first end of sequence
        let prompt = chatML([(role: "user", content: "Hello!"), (role: "assistant", content: reply), (role: "user", content: "Go on.")])
        var expected: [Int] = []
        for id in try uncachedIDs(prompt, maxNewTokens: 12, model: model) {
            expected.append(id)
            if id == eos || id == imEnd { break }
        }
        XCTAssertEqual(turns[1]["ids"] as? [Int], expected)
        let text = try runChapter(chapter, ["chat", model.path, "--max-new-tokens", "12"], input: "Hello!\n")
        XCTAssertEqual(text.stdout, reply + "\n", "the end-of-sequence token is not printed")
    }

    /// A template that writes something about the whole conversation before the first turn
    /// (here the number of messages) changes the earlier ids every turn: the cache is cleared,
    /// the conversation prefilled again, and the replies are still the uncached ones.
    func testTemplateThatRewritesEarlierTurns() throws {
        let template = try String(contentsOf: chatModel.appendingPathComponent("chat_template.jinja"), encoding: .utf8)
        let model = try modelCopy(["chat_template.jinja": "{{- messages|length }}" + template])
        let lines = ["Hello!", "What is 2+2?", "OK"]
        let (turns, run) = try chat(lines, ["--max-new-tokens", "12"], model: model)
        XCTAssertEqual(turns.count, 3)
        var messages: [(role: String, content: String)] = []
        for (k, line) in lines.enumerated() {
            messages.append((role: "user", content: line))
            let ids = turns[k]["ids"] as! [Int]
            XCTAssertEqual(ids, try uncachedIDs("\(messages.count)" + chatML(messages), maxNewTokens: 12, model: model), "turn \(k + 1)")
            if k > 0 {
                XCTAssertEqual(turns[k]["cache_miss"] as? String, "template", "turn \(k + 1)")
                XCTAssertEqual(turns[k]["reused_tokens"] as? Int, 0)
                XCTAssertEqual(turns[k]["prefilled_tokens"] as? Int, turns[k]["prompt_tokens"] as? Int)
            }
            messages.append((role: "assistant", content: turns[k]["reply"] as! String))
        }
        XCTAssertTrue(run.stderr.contains("the template rendered the earlier turns differently"), run.stderr)
    }

    /// The context (256 tokens): a turn that does not fit is refused and leaves the
    /// conversation as it was; a reply that fills the context stops there, the next turn is
    /// refused, and /reset starts over.
    func testContextLimit() throws {
        let hello = try greedyCases()[0]["new_ids"] as! [Int]
        let long = String(repeating: "la ", count: 400)
        let (refused, run) = try chat([long, "Hello!"], ["--max-new-tokens", "12"])
        XCTAssertEqual(refused.count, 2)
        let error = try XCTUnwrap(refused[0]["error"] as? String)
        XCTAssertTrue(error.contains("the model's context is 256: nothing was generated"), error)
        XCTAssertTrue(run.stderr.contains(error))
        XCTAssertEqual(refused[1]["ids"] as? [Int], hello, "the refused turn left nothing behind")
        XCTAssertEqual(refused[1]["prompt_tokens"] as? Int, 15)

        let medium = String(repeating: "la ", count: 230)
        let (turns, filled) = try chat([medium, "Hello!", "/reset", "Hello!"], ["--max-new-tokens", "100"])
        XCTAssertEqual(turns.count, 4)
        let prompt = try XCTUnwrap(turns[0]["prompt_tokens"] as? Int)
        XCTAssertTrue((200..<250).contains(prompt), "\(prompt)")
        let ids = turns[0]["ids"] as! [Int]
        XCTAssertEqual(turns[0]["stop"] as? String, "context")
        XCTAssertEqual(ids.count, 256 - prompt + 1, "positions 0…255 fed, and one more token chosen from the last")
        XCTAssertEqual(ids, try uncachedIDs(chatML([(role: "user", content: medium)]), maxNewTokens: ids.count))
        XCTAssertTrue(filled.stderr.contains("the reply stopped at the model's context of 256 tokens"), filled.stderr)
        XCTAssertTrue((turns[1]["error"] as? String)?.contains("the model's context is 256") == true, "\(turns[1])")
        XCTAssertEqual(turns[2]["reset"] as? Bool, true)
        XCTAssertEqual(Array((turns[3]["ids"] as! [Int]).prefix(12)), hello)
    }

    // MARK: - Errors

    func testErrors() throws {
        func failure(_ arguments: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let run = try runChapter(chapter, arguments, input: "Hello!\n")
            XCTAssertEqual(run.status, 2, file: file, line: line)
            XCTAssertTrue(run.stderr.contains(message), run.stderr, file: file, line: line)
            XCTAssertEqual(run.stdout, "", file: file, line: line)
        }
        try failure(["chat", chatModel.path, "--bogus"], "unknown flag --bogus")
        try failure(["chat"], "usage: chat MODEL")
        try failure(["chat", "/no/such/model"], "/no/such/model: is not a directory")
        try failure(["chat", chatModel.path, "--prompt", "Hi"], "chat reads its turns from the input, not from --prompt")
        try failure(["generate", chatModel.path, "--prompt", "Hi", "--system", "x"], "--system is for chat MODEL")
        try failure(["chat", fixtures.appendingPathComponent("hf/qwen2-tiny").path], "has no tokenizer")
        let noTemplate = try modelCopy(["chat_template.jinja": ""])
        try FileManager.default.removeItem(at: noTemplate.appendingPathComponent("chat_template.jinja"))
        try failure(["chat", noTemplate.path], "has no chat template (looked for chat_template.jinja, tokenizer_config.json and chat_template.json)")
        let noSystem = try modelCopy(["chat_template.jinja": """
            {%- if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}
            """])
        try failure(["chat", noSystem.path, "--system", "Be brief."], "--system: the chat template refused the conversation: System role not supported")
        // an unknown command is not sent to the model; empty lines are no turns; no input, no turns
        let (turns, run) = try chat(["/help", "", "   ", "Hello!"], ["--max-new-tokens", "12"])
        XCTAssertEqual(turns.count, 2)
        XCTAssertEqual(turns[0]["error"] as? String, "unknown command /help (the commands are /reset and /quit)")
        XCTAssertEqual(turns[1]["ids"] as? [Int], try greedyCases()[0]["new_ids"] as? [Int])
        XCTAssertTrue(run.stderr.contains("unknown command /help"))
        let empty = try runChapter(chapter, ["chat", chatModel.path], input: "")
        XCTAssertEqual(empty.status, 0, empty.stderr)
        XCTAssertEqual(empty.stdout, "")
    }
}
