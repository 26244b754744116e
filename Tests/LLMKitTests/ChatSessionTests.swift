// ChatSession and generate(continuing:cache:) on the tiny Qwen2 chat model (hf/qwen2-chat),
// against uncached generation on the templated conversation and transformers' greedy.json.

import Foundation
import LLMKit
import TensorKit
import TestSupport
import Tokenizers
import XCTest

final class ChatSessionTests: XCTestCase {
    let directory = fixtureURL("hf/qwen2-chat")

    func greedyCases() throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("greedy.json"))) as! [[String: Any]]
    }

    /// Continuing from a cache that already holds a prefix gives the uncached continuation, and
    /// leaves the cache holding everything but the last token chosen.
    func testGenerateContinuingACache() throws {
        let model = try LlamaModel.load(huggingFace: directory)
        let c = try greedyCases()[2]
        let prompt = c["prompt_ids"] as! [Int]
        let cache = model.makeCache()
        let first = generate(model, continuing: prompt, cache: cache, maxNewTokens: 12)
        XCTAssertEqual(first, c["new_ids"] as? [Int])
        XCTAssertEqual(cache.length, prompt.count + 11)
        let more = prompt + first + [2, 201, 1, 390, 275, 201, 42, 75, 2, 201]     // <|im_end|>\n<|im_start|>user\nHi<|im_end|>\n
        let second = generate(model, continuing: more, cache: cache, maxNewTokens: 12)
        XCTAssertEqual(second, generate(model, prompt: more, maxNewTokens: 12, useCache: false))
        XCTAssertEqual(cache.length, more.count + 11)
    }

    /// Four turns: every reply is the uncached greedy continuation of the templated conversation
    /// (rendered and tokenized here), the first is transformers' own, and the cache holds the
    /// conversation's ids but the last reply's final token.
    func testTurnsEqualUncachedGenerationOfTheConversation() throws {
        let chat = try ChatSession.load(from: directory)
        XCTAssertEqual(chat.stopIDs, [2])
        let template = try ChatTemplate.load(from: directory)
        let tokenizer = try HuggingFaceTokenizer(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        var messages: [ChatMessage] = []
        var reused = 0
        for (k, line) in ["Hello!", "What is 2+2?", "Tell me more.", "OK"].enumerated() {
            var streamed = ""
            let reply = try chat.send(line, maxNewTokens: 12) { streamed += $0 }
            messages.append(ChatMessage(role: "user", content: line))
            let prompt = try tokenizer.encode(try template.render(messages: messages, addGenerationPrompt: true), addSpecialTokens: false)
            let expected = generate(chat.model, prompt: prompt, maxNewTokens: 12, useCache: false, stopAt: [2])
            XCTAssertEqual(reply.ids, expected, "turn \(k + 1)")
            if k == 0 { XCTAssertEqual(reply.ids, try greedyCases()[0]["new_ids"] as? [Int]) }
            XCTAssertEqual(reply.promptTokens, prompt.count)
            XCTAssertEqual(reply.prefilledTokens, prompt.count - reply.reusedTokens)
            XCTAssertEqual(chat.cachedIDs, prompt + expected.dropLast())
            XCTAssertEqual(reply.text, tokenizer.decode(expected.filter { $0 != 2 }))
            XCTAssertEqual(streamed, reply.text)
            messages.append(ChatMessage(role: "assistant", content: reply.text))
            XCTAssertEqual(chat.messages, messages)
            reused += reply.reusedTokens
        }
        XCTAssertGreaterThan(reused, 0, "some turn read its earlier ids from the cache")
        chat.reset()
        XCTAssertEqual(chat.messages, [])
        XCTAssertEqual(chat.cachedIDs, [])
        XCTAssertEqual(try chat.send("Hello!", maxNewTokens: 12).ids, try greedyCases()[0]["new_ids"] as? [Int])
    }

    /// A turn that does not fit the context, or that the template refuses, changes nothing.
    func testRefusedTurnsChangeNothing() throws {
        let chat = try ChatSession.load(from: directory)
        let first = try chat.send("Hello!", maxNewTokens: 12)
        let (messages, cached) = (chat.messages, chat.cachedIDs)
        XCTAssertThrowsError(try chat.send(String(repeating: "la ", count: 300), maxNewTokens: 12)) { error in
            XCTAssertTrue("\(error)".contains("and the model's context is 256"), "\(error)")
        }
        XCTAssertEqual(chat.messages, messages)
        XCTAssertEqual(chat.cachedIDs, cached)
        let refusing = try ChatTemplate(source: "{{ raise_exception('Conversation roles must alternate') }}")
        let strict = try ChatSession(model: chat.model, tokenizer: chat.tokenizer, template: refusing, stopIDs: [2])
        XCTAssertThrowsError(try strict.send("Hi", maxNewTokens: 4)) { error in
            XCTAssertEqual("\(error)", "the chat template refused the conversation: Conversation roles must alternate")
        }
        XCTAssertThrowsError(try ChatSession(model: chat.model, tokenizer: chat.tokenizer, template: refusing, stopIDs: [2], system: "x"))
        XCTAssertEqual(first.stop, .maxNewTokens)
    }

    /// A reply stops at generation_config.json's ids and at the template's eos_token.
    func testStopIDs() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("qwen2-chat-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: directory, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let greedy = try greedyCases()[0]["new_ids"] as! [Int]
        try Data("{\"eos_token_id\": \(greedy[3])}".utf8).write(to: copy.appendingPathComponent("generation_config.json"))
        let chat = try ChatSession.load(from: copy)
        XCTAssertEqual(chat.stopIDs, [greedy[3], 2])
        let reply = try chat.send("Hello!", maxNewTokens: 12)
        XCTAssertEqual(reply.ids, Array(greedy[...3]))
        XCTAssertEqual(reply.stop, .endOfSequence)
        XCTAssertEqual(reply.text, chat.tokenizer.decode(Array(greedy[..<3])))
    }
}
