// A conversation with an instruct model, turn by turn, keeping the KV cache across turns.
//
// Each turn the whole conversation is rendered with the model's chat template and tokenized,
// exactly as a loop without any cache would do. The cache holds the keys and values of the
// ids the model has already read (`cachedIDs`). Keys and values at a position depend only on
// the ids up to it, so if `cachedIDs` is a prefix of the new ids, those positions are already
// computed and only the rest has to be prefilled. If it is not a prefix, the cache is thrown
// away and everything is prefilled again. That happens when
//   - the template rewrites earlier turns (Qwen3's drops the reasoning of earlier replies, some
//     print the number of messages or today's date at the top), or
//   - the reply's ids are not those the model generated: its text tokenizes differently (a model
//     may generate "hel" + "lo" where the tokenizer writes "hello"; a reply cut in the middle of
//     a character), or the template changes it (Llama 3's, Zephyr's and Phi-3's `trim` every
//     message, dropping a reply's final newline).
// Either way the ids the model sees are those of the templated conversation, as without a cache.

import Foundation
import TensorKit
import Tokenizers

/// A chat with a model: its template, tokenizer and a KV cache kept from turn to turn.
///
///     let chat = try ChatSession.load(from: URL(fileURLWithPath: "Qwen2.5-0.5B-Instruct"), system: "Be brief.")
///     let reply = try chat.send("Hello!", maxNewTokens: 100) { print($0, terminator: "") }
///     reply.prefilledTokens     // the whole templated prompt on the first turn
///     let next = try chat.send("And in French?", maxNewTokens: 100) { print($0, terminator: "") }
///     next.reusedTokens         // the first turn's ids, read from the cache instead
public final class ChatSession {
    /// Why a reply ended.
    public enum Stop: String {
        /// The model wrote an end-of-sequence token (the end of its turn).
        case endOfSequence = "eos"
        /// `maxNewTokens` were generated.
        case maxNewTokens = "max_new_tokens"
        /// The conversation filled the model's context.
        case context
    }

    /// Why the cache could not be reused for a turn.
    public enum CacheMiss: String {
        /// The earlier turns' ids differ: the template rendered the conversation before the
        /// last reply differently this time.
        case template
        /// The ids differ within the last reply: its text does not tokenize back into the ids
        /// the model generated, or the template writes it differently (many `trim` it).
        case reply
    }

    /// One turn's reply and what it cost.
    public struct Reply {
        /// The reply's text (without the end-of-sequence token), as the conversation keeps it.
        public let text: String
        /// The generated ids, the end-of-sequence id included.
        public let ids: [Int]
        /// The ids of the templated conversation the reply continues.
        public let promptTokens: Int
        /// How many of them were already in the cache.
        public let reusedTokens: Int
        /// How many were run through the model before the first new token (the rest).
        public let prefilledTokens: Int
        /// Set when the cache held ids that were not a prefix of the conversation's (it was
        /// cleared, and everything prefilled): where they differ.
        public let cacheMiss: CacheMiss?
        public let stop: Stop
    }

    /// A turn the session refused; the conversation is as it was before it.
    public struct TurnRefused: Error, CustomStringConvertible {
        public let description: String
    }

    public let model: CausalLanguageModel
    public let tokenizer: HuggingFaceTokenizer
    public let template: ChatTemplate
    /// The ids that end a reply.
    public let stopIDs: Set<Int>
    /// The system message in front of every conversation, if any.
    public let system: String?
    /// Whether the cache is kept from turn to turn (otherwise every step reruns the model on
    /// the whole conversation, without any cache: the reference the cached chat must equal).
    public let keepsCache: Bool
    /// The conversation so far (the system message not included).
    public private(set) var messages: [ChatMessage] = []
    /// The ids whose keys and values are in the cache.
    public private(set) var cachedIDs: [Int] = []
    /// How many of `cachedIDs` are the last turn's prompt (the rest is its reply).
    private var cachedPromptCount = 0
    private var cache: KVCache

    /// A session over a loaded model, its tokenizer and template. Throws `TurnRefused` if the
    /// template refuses a system message.
    public init(model: CausalLanguageModel, tokenizer: HuggingFaceTokenizer, template: ChatTemplate, stopIDs: Set<Int>,
                system: String? = nil, keepsCache: Bool = true) throws {
        self.model = model
        self.tokenizer = tokenizer
        self.template = template
        self.stopIDs = stopIDs
        self.system = system
        self.keepsCache = keepsCache
        cache = model.makeCache()
        if system != nil { _ = try promptIDs(for: [ChatMessage(role: "user", content: "Hello")]) }
    }

    /// Forgets the conversation and the cache.
    public func reset() {
        messages = []
        cachedIDs = []
        cachedPromptCount = 0
        cache = model.makeCache()
    }

    /// The ids of the conversation `messages` (after the system message), rendered with the
    /// generation prompt and tokenized as transformers' `apply_chat_template(tokenize=True)`
    /// does: the template writes the special tokens, so the tokenizer adds none.
    public func promptIDs(for messages: [ChatMessage]) throws -> [Int] {
        let all = (system.map { [ChatMessage(role: "system", content: $0)] } ?? []) + messages
        let text: String
        do { text = try template.render(messages: all, addGenerationPrompt: true) } catch let error as JinjaError {
            throw TurnRefused(description: "the chat template refused the conversation: \(error.message)")
        }
        return try tokenizer.encode(text, addSpecialTokens: false)
    }

    /// Adds the user's `text` to the conversation and generates the reply, giving its text
    /// to `onText` piece by piece (whole characters only; the end-of-sequence token is not
    /// written). Throws `TurnRefused` (and changes nothing) if the template refuses the
    /// conversation or it leaves no room in the model's context.
    @discardableResult
    public func send(_ text: String, maxNewTokens: Int, sampler: Sampler = Sampler(),
                     onText: @escaping (String) -> Void = { _ in }) throws -> Reply {
        precondition(maxNewTokens >= 1, "ChatSession.send: maxNewTokens must be at least 1")
        let conversation = messages + [ChatMessage(role: "user", content: text)]
        let ids = try promptIDs(for: conversation)
        guard ids.count < model.contextLength else {
            throw TurnRefused(description: "the conversation would be \(ids.count) tokens, and the model's context is "
                                + "\(model.contextLength): nothing was generated (reset the conversation to go on)")
        }
        // Reuse the cache only if it holds a prefix of these ids (and there is something after it).
        let reusable = keepsCache && !cachedIDs.isEmpty && ids.count > cachedIDs.count && ids.starts(with: cachedIDs)
        var miss: CacheMiss?
        if keepsCache && !cachedIDs.isEmpty && !reusable {
            let common = zip(ids, cachedIDs).prefix { $0 == $1 }.count
            miss = common < cachedPromptCount ? .template : .reply
        }
        if !reusable {
            cache = model.makeCache()
            cachedIDs = []
        }
        let reused = cachedIDs.count
        var stream = TokenTextStream(tokenizer, context: ids)
        let printable = { (id: Int) in !self.stopIDs.contains(id) && id < self.tokenizer.vocabularySize }
        let onToken = { (id: Int) in if printable(id) { onText(stream.push(id)) } }
        let generated = keepsCache
            ? generate(model, continuing: ids, cache: cache, maxNewTokens: maxNewTokens, sampler: sampler, stopAt: stopIDs, onToken: onToken)
            : generate(model, prompt: ids, maxNewTokens: maxNewTokens, sampler: sampler, useCache: false, stopAt: stopIDs, onToken: onToken)
        onText(stream.finish())
        if keepsCache {
            cachedIDs = ids + generated.dropLast()              // the last token was chosen, not fed
            cachedPromptCount = ids.count
            precondition(cache.length == cachedIDs.count, "ChatSession: the cache holds \(cache.length) positions, not \(cachedIDs.count)")
        }
        let stop: Stop = generated.last.map(stopIDs.contains) == true ? .endOfSequence
            : generated.count == maxNewTokens ? .maxNewTokens : .context
        let reply = tokenizer.decode(generated.filter(printable))
        messages = conversation + [ChatMessage(role: "assistant", content: reply)]
        return Reply(text: reply, ids: generated, promptTokens: ids.count, reusedTokens: reused,
                     prefilledTokens: ids.count - reused, cacheMiss: miss, stop: stop)
    }
}
