// A tokenizer read from a Hugging Face `tokenizer.json`, the single file nearly every model on
// the Hub ships its tokenizer in. The file describes a pipeline; encoding runs it:
//
//   0. added tokens ("<|endoftext|>", "[CLS]", …) are cut out of the text first (AddedTokens.swift);
//   1. the normalizer rewrites the rest (Normalizers.swift, UnicodeNormalizers.swift);
//   2. the pre-tokenizer cuts it into pieces (PreTokenizers.swift and the files it names);
//   3. the model turns each piece into ids (BPEModel.swift, WordPieceModel.swift, UnigramModel.swift);
//   4. the post-processor adds special tokens around the ids (PostProcessors.swift);
//
// and decoding goes back: ids → token strings → the decoder (Decoders.swift) → text.
//
// Equal to the `tokenizers` library (0.23.3): `Tokenizer.encode(text).ids` and
// `decode(ids, skip_special_tokens=False)`, on every case of Tests/Fixtures/hf/tokenizer-json
// (GPT-2, Llama 3, Qwen2, Llama 2, Mistral, BERT, Unigram). What the file asks for and this
// reader does not implement is refused with an error naming it.
//
// Byte-level BPE pipelines with a well-known split pattern (GPT-2's, Llama 3's, Qwen2's) take
// a fast path: the pattern's scanner and the BPE work on the input's bytes directly, with no
// piece copied or rewritten (the same pieces, the same ids; the tests check both paths).

import Foundation

/// A tokenizer defined by a `tokenizer.json`.
///
///     let tokenizer = try HuggingFaceTokenizer(contentsOf: URL(fileURLWithPath: "tokenizer.json"))
///     tokenizer.encode("Hello world")                  // ids, with the special tokens the file adds
///     tokenizer.decode(tokenizer.encode("Hello world")) // "Hello world" (BOS kept, if any)
///     tokenizer.id(of: "<|endoftext|>")                // 50256 for GPT-2
///
/// An instance caches the pieces it has encoded, so it is not safe to share between threads:
/// give each thread its own.
public final class HuggingFaceTokenizer: Tokenizer {
    let normalizer: TextNormalizer?
    let preTokenizer: PreTokenizer?
    let model: TokenizerModel
    let postProcessor: PostProcessor?
    let decoder: TokenDecoder?
    let added: AddedVocabulary
    let truncation: Truncation?
    let padding: Padding?
    /// Set when the pre-tokenizer is a well-known pattern followed by ByteLevel and the model a
    /// byte-level BPE: the pieces come straight from the scanner (see the top of the file).
    /// Tests set it to nil to compare with the general path.
    var fastPath: (scanner: ScannerPattern, model: BPEModel)?
    /// The file's path, for messages.
    public let source: String

    init(normalizer: TextNormalizer?, preTokenizer: PreTokenizer?, model: TokenizerModel, postProcessor: PostProcessor?,
         decoder: TokenDecoder?, added: AddedVocabulary, truncation: Truncation?, padding: Padding?, source: String) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.added = added
        self.truncation = truncation
        self.padding = padding
        self.source = source
        fastPath = Self.fastPath(preTokenizer, model)
    }

    /// The scanner and model of the fast path, if the pipeline has one.
    private static func fastPath(_ pre: PreTokenizer?, _ model: TokenizerModel) -> (ScannerPattern, BPEModel)? {
        guard let bpe = model as? BPEModel, bpe.supportsRawBytes else { return nil }
        if let byteLevel = pre as? ByteLevelPreTokenizer, byteLevel.useRegex, !byteLevel.addPrefixSpace {
            return (.gpt2, bpe)
        }
        if let sequence = pre as? SequencePreTokenizer, sequence.steps.count == 2,
           let split = sequence.steps[0] as? SplitPreTokenizer, let scanner = split.pattern as? ScannerPattern,
           split.behavior == .isolated, !split.invert,
           let byteLevel = sequence.steps[1] as? ByteLevelPreTokenizer, !byteLevel.useRegex, !byteLevel.addPrefixSpace {
            return (scanner, bpe)
        }
        return nil
    }

    // MARK: - Vocabulary

    /// One past the largest id (the model's tokens and the added ones).
    public var vocabularySize: Int { max(model.vocabulary.idLimit, added.largestID + 1) }

    /// The id of a token (an added token's content, or a model token as the vocabulary writes
    /// it, such as "Ġworld"), or nil.
    public func id(of token: String) -> Int? {
        added.idOfContent[token] ?? model.vocabulary.id(of: token)
    }

    /// The token of an id as decoding sees it (an added token's content, or the vocabulary's
    /// text), or nil for an id no token has.
    public func token(of id: Int) -> String? {
        added.decodingText(of: id) ?? model.vocabulary.token(of: id)
    }

    /// Whether an id is one of the special added tokens ("<|endoftext|>", "[CLS]", …).
    public func isSpecial(_ id: Int) -> Bool {
        guard let token = added.tokenOfID[id] else { return false }
        return token.special
    }

    // MARK: - Encoding

    /// The ids of `text`, with the special tokens the post-processor adds.
    ///
    /// Stops with a message if the model cannot encode the text (a character no piece covers
    /// in a WordPiece or Unigram model without an unknown token); `encode(_:addSpecialTokens:)`
    /// throws instead.
    public func encode(_ text: String) -> [Int] {
        do {
            return try encode(text, addSpecialTokens: true)
        } catch {
            preconditionFailure("HuggingFaceTokenizer.encode: \(error)")
        }
    }

    /// The ids of `text`; with `addSpecialTokens`, the post-processor's special tokens too (the
    /// library's `encode(text, add_special_tokens=…)`).
    public func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int] {
        let input = Array(text.utf8)
        var ids: [Int] = []
        ids.reserveCapacity(input.count / 3 + 4)
        for (range, id) in added.split(input, with: added.rawMatcher) {
            if let id { ids.append(id); continue }
            try encodeSegment(input, range, into: &ids)
        }
        if let truncation {
            ids = try truncation.apply(ids, reserving: addSpecialTokens ? postProcessor?.addedCount ?? 0 : 0, source: source)
        }
        if let postProcessor { ids = postProcessor.process(ids, addSpecialTokens: addSpecialTokens) }
        if let padding { ids = padding.apply(ids) }
        return ids
    }

    /// Normalises one stretch of the input between added tokens, cuts it at the normalised
    /// added tokens, and tokenizes the rest.
    private func encodeSegment(_ input: [UInt8], _ range: Range<Int>, into ids: inout [Int]) throws {
        var text: [UInt8], origin: Int
        if let normalizer {
            var t = NormalizedText(String(decoding: input[range], as: UTF8.self), atOrigin: range.lowerBound == 0)
            normalizer.normalize(&t)
            text = Array(t.text.utf8)
            origin = t.originBytes
        } else {
            text = Array(input[range])
            origin = range.lowerBound == 0 && !text.isEmpty ? SentencePieceTokenizer.utf8Length(leadByte: text[0]) : 0
        }
        for (part, id) in added.split(text, with: added.normalizedMatcher) {
            if let id { ids.append(id); continue }
            if part.isEmpty { continue }
            if let (scanner, bpe) = fastPath {
                text.withUnsafeBufferPointer { all in
                    let piece = UnsafeBufferPointer(rebasing: all[part])
                    scanner.forEachMatch(in: piece) { bpe.tokenizeRawBytes(UnsafeBufferPointer(rebasing: piece[$0]), into: &ids) }
                }
                continue
            }
            let segment = PreToken(bytes: Array(text[part]), originBytes: max(0, min(origin - part.lowerBound, part.count)))
            let pieces = preTokenizer?.preTokenize([segment]) ?? [segment]
            for piece in pieces {
                try piece.bytes.withUnsafeBufferPointer { bytes in
                    if piece.byteLevel {
                        try model.tokenizeByteLevel(bytes, into: &ids)
                    } else {
                        try model.tokenize(bytes, into: &ids)
                    }
                }
            }
        }
    }

    /// The pieces the pre-tokenizer makes of `text` (after the normalizer; added tokens cut
    /// out), as the model sees them: byte-level pieces with their byte characters written out.
    ///
    ///     gpt2.preTokens("Hello world")    // ["Hello", "Ġworld"]
    public func preTokens(_ text: String) -> [String] {
        let input = Array(text.utf8)
        var out: [String] = []
        for (range, id) in added.split(input, with: added.rawMatcher) where id == nil {
            var t = NormalizedText(String(decoding: input[range], as: UTF8.self), atOrigin: range.lowerBound == 0)
            normalizer?.normalize(&t)
            let bytes = Array(t.text.utf8)
            for (part, id) in added.split(bytes, with: added.normalizedMatcher) where id == nil && !part.isEmpty {
                let segment = PreToken(bytes: Array(bytes[part]), originBytes: max(0, min(t.originBytes - part.lowerBound, part.count)))
                for piece in preTokenizer?.preTokenize([segment]) ?? [segment] {
                    out.append(String(decoding: piece.materialized.bytes, as: UTF8.self))
                }
            }
        }
        return out
    }

    // MARK: - Decoding

    /// The text of `ids`, special tokens kept (the library's `decode(ids, skip_special_tokens=False)`).
    public func decode(_ ids: [Int]) -> String { decode(ids, skipSpecialTokens: false) }

    /// The text of `ids`; with `skipSpecialTokens`, special added tokens are left out. An id no
    /// token has (a model's vocabulary is often padded past its tokenizer's) is left out too, as
    /// the library does; `token(of:)` tells which ids have a token.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = token(of: id) else { continue }
            if skipSpecialTokens && added.specialContents.contains(token) { continue }
            tokens.append(token)
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decodeChain(tokens).joined()
    }
}
