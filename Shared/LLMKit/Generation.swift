// The autoregressive loop: run the model, pick the next token, append it, repeat. With a KV
// cache the prompt is processed once (prefill) and every later step feeds only the newest
// token, reusing the keys and values of all earlier ones.

import Foundation
import TensorKit

/// A decoder-only model that can generate: GPT-2 and the Llama family (Llama, Mistral, Mixtral, Qwen, Gemma).
public protocol CausalLanguageModel: AnyObject {
    /// Logits (B, T, V) for ids (B, T); with a cache the ids continue the cached ones.
    func logits(_ ids: [Int], shape: [Int], cache: KVCache?) -> Tensor
    /// The logits of the last position only (B, V): all that generation needs, and far less
    /// work than projecting every position onto the whole vocabulary.
    func lastLogits(_ ids: [Int], shape: [Int], cache: KVCache?) -> Tensor
    func makeCache() -> KVCache
    /// The longest sequence the model can attend over.
    var contextLength: Int { get }
    var vocabularySize: Int { get }
}

extension GPTModel: CausalLanguageModel {
    public func logits(_ ids: [Int], shape: [Int], cache: KVCache?) -> Tensor { self(ids, shape: shape, cache: cache) }
    public func lastLogits(_ ids: [Int], shape: [Int], cache: KVCache?) -> Tensor {
        lmHead(hiddenStates(ids, shape: shape, cache: cache).select(1, shape[1] - 1))     // (B, V)
    }
    public var contextLength: Int { config.contextLength }
    public var vocabularySize: Int { config.vocabSize }
}

extension LlamaModel: CausalLanguageModel {
    public func logits(_ ids: [Int], shape: [Int], cache: KVCache?) -> Tensor { self(ids, shape: shape, cache: cache) }
    public func lastLogits(_ ids: [Int], shape: [Int], cache: KVCache?) -> Tensor {
        lmHead(hiddenStates(ids, shape: shape, cache: cache).select(1, shape[1] - 1))     // (B, V)
    }
    public var contextLength: Int { config.contextLength }
    public var vocabularySize: Int { config.vocabSize }
}

/// Generates up to `maxNewTokens` tokens after `prompt` and returns only the new ones.
///
/// - `useCache`: prefill the prompt once, then one token per step (fast); without it every
///   step reruns the model on the whole text, cropped to the context window.
/// - `stopAt`: tokens (end-of-sequence ids) after which generation stops; the one that stops
///   it is returned too, as Hugging Face's `generate` does.
/// - `onToken`: sees each token as soon as it is chosen (streaming).
///
///     let ids = generate(model, prompt: [15496, 11], maxNewTokens: 20, stopAt: [50256])
public func generate(_ model: CausalLanguageModel, prompt: [Int], maxNewTokens: Int, sampler: Sampler = Sampler(),
                     useCache: Bool = true, stopAt: Set<Int> = [], onToken: ((Int) -> Void)? = nil) -> [Int] {
    precondition(!prompt.isEmpty, "generate: the prompt is empty")
    if useCache {
        return generate(model, continuing: prompt, cache: model.makeCache(), maxNewTokens: maxNewTokens, sampler: sampler,
                        stopAt: stopAt, onToken: onToken)
    }
    var ids = prompt
    var generated: [Int] = []
    return withNoGrad {
        for _ in 0..<maxNewTokens {
            let window = Array(ids.suffix(model.contextLength))                       // crop to the context
            let logits = model.lastLogits(window, shape: [1, window.count], cache: nil)       // (1, V)
            let next = sampler.next(logits.data, history: ids)
            ids.append(next)
            generated.append(next)
            onToken?(next)
            if stopAt.contains(next) { break }
        }
        return generated
    }
}

/// Generates after `ids`, of which the first `cache.length` are already in `cache` (a chat
/// keeps its cache from turn to turn): only the rest is prefilled, then one token per step.
/// Returns the new tokens. Afterwards the cache holds `ids` and every new token but the last
/// (which was chosen, never fed). Stops after `maxNewTokens`, after a token of `stopAt`
/// (returned too), or when the cache is full: it cannot slide past the model's context.
///
///     let cache = model.makeCache()
///     let first = generate(model, continuing: prompt, cache: cache, maxNewTokens: 20)
///     // cache.length == prompt.count + first.count - 1: prefill only what follows it next time
///     let second = generate(model, continuing: prompt + first + more, cache: cache, maxNewTokens: 20)
public func generate(_ model: CausalLanguageModel, continuing ids: [Int], cache: KVCache, maxNewTokens: Int,
                     sampler: Sampler = Sampler(), stopAt: Set<Int> = [], onToken: ((Int) -> Void)? = nil) -> [Int] {
    precondition(cache.length < ids.count, "generate: \(ids.count) ids, of which \(cache.length) are cached: nothing new to feed")
    var ids = ids
    var generated: [Int] = []
    return withNoGrad {
        var pending = Array(ids[cache.length...])               // what the model has not seen yet
        for _ in 0..<maxNewTokens {
            if cache.length + pending.count > model.contextLength { break }          // the cache cannot slide
            let logits = model.lastLogits(pending, shape: [1, pending.count], cache: cache)   // (1, V)
            let next = sampler.next(logits.data, history: ids)
            ids.append(next)
            generated.append(next)
            onToken?(next)
            pending = [next]
            if stopAt.contains(next) { break }
        }
        return generated
    }
}
