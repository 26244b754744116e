// GPT-2's tokenizer, built from GPT-2's own files: `encoder.json` (token → id) and `vocab.bpe`
// (the 50,000 merges in the order they were learned), or the same two files under Hugging
// Face's names, `vocab.json` and `merges.txt`. Equal to tiktoken's `gpt2` encoding, id for id.
//
// Encoding a text:
// 1. split off the special token `<|endoftext|>` (id 50256) where it is allowed;
// 2. cut the rest into chunks with GPT-2's pattern (GPT2PreTokenizer.swift);
// 3. byte-pair encode each chunk's UTF-8 bytes: start from one token per byte and repeatedly
//    merge the adjacent pair that was merged earliest in training (lowest rank), until no
//    adjacent pair was ever merged (MergeTable.swift). Chunks seen before come from a cache.
//
// Loading the files is in GPT2Files.swift.

import Foundation

/// GPT-2's byte-level BPE tokenizer.
///
///     let gpt2 = try GPT2Tokenizer(directory: URL(fileURLWithPath: "data/gpt2"))
///     gpt2.encode("Hello, world!")           // [15496, 11, 995, 0]
///     gpt2.decode([15496, 11, 995, 0])       // "Hello, world!"
///     gpt2.tokenString(995)                  // "Ġworld": GPT-2's files write a space as Ġ
///     gpt2.encode("a<|endoftext|>b")         // [64, 50256, 65]
///
/// An instance caches the chunks it has encoded, so it is not safe to share between threads:
/// give each thread its own.
public final class GPT2Tokenizer: Tokenizer {
    public static let endOfTextToken = "<|endoftext|>"
    /// The id of `<|endoftext|>` (50256 for GPT-2), or -1 if the vocabulary has none.
    public let endOfText: Int

    /// Every token's bytes, one after another; token k is `tokenBytes[tokenStart[k]..<tokenStart[k + 1]]`.
    let tokenBytes: [UInt8]
    let tokenStart: [Int]
    /// The id of each single byte.
    let byteIDs: [Int32]
    /// The merges: (first id, second id) → (rank, merged id).
    let merges: MergeTable
    /// Chunks encoded before: chunk bytes → ids. Emptied when it holds 2¹⁷ chunks.
    private var cache = ByteStringMap(capacity: 1 << 17)

    public var vocabularySize: Int { tokenStart.count - 1 }
    /// How many merges the tokenizer knows (50,000 for GPT-2).
    public var mergeCount: Int { merges.count }

    /// A tokenizer from its parts (GPT2Files.swift reads them from files).
    init(tokens: [[UInt8]], byteIDs: [Int32], merges: MergeTable, endOfText: Int) {
        var bytes: [UInt8] = [], starts = [0]
        for token in tokens { bytes += token; starts.append(bytes.count) }
        tokenBytes = bytes
        tokenStart = starts
        self.byteIDs = byteIDs
        self.merges = merges
        self.endOfText = endOfText
    }

    // MARK: - Encoding

    /// The ids of `text`. Where `allowSpecial` is true, each `<|endoftext|>` in the text becomes
    /// the special id (tiktoken's `allowed_special={"<|endoftext|>"}`); where it is false, the
    /// text is all ordinary text ("<|endoftext|>" is then six tokens, tiktoken's `encode_ordinary`).
    public func encode(_ text: String, allowSpecial: Bool) -> [Int] {
        var text = text
        return text.withUTF8 { utf8 in
            var out: [Int] = []
            out.reserveCapacity(utf8.count / 4 + 1)
            var start = 0
            if allowSpecial && endOfText >= 0 {
                for at in Self.occurrences(of: Self.endOfTextUTF8, in: utf8) {
                    encodeOrdinary(UnsafeBufferPointer(rebasing: utf8[start..<at]), into: &out)
                    out.append(endOfText)
                    start = at + Self.endOfTextUTF8.count
                }
            }
            encodeOrdinary(UnsafeBufferPointer(rebasing: utf8[start...]), into: &out)
            return out
        }
    }

    /// The ids of `text`, with `<|endoftext|>` recognised as the special token.
    public func encode(_ text: String) -> [Int] { encode(text, allowSpecial: true) }

    /// The ids of `text` with no special tokens.
    public func encodeOrdinary(_ text: String) -> [Int] { encode(text, allowSpecial: false) }

    static let endOfTextUTF8 = Array(endOfTextToken.utf8)

    /// Where `pattern` starts in `text`, without overlaps, left to right.
    static func occurrences(of pattern: [UInt8], in text: UnsafeBufferPointer<UInt8>) -> [Int] {
        var found: [Int] = []
        guard let first = pattern.first, text.count >= pattern.count else { return found }
        var i = 0
        while i + pattern.count <= text.count {
            if text[i] == first && pattern.indices.allSatisfy({ text[i + $0] == pattern[$0] }) {
                found.append(i)
                i += pattern.count
            } else {
                i += 1
            }
        }
        return found
    }

    /// Appends the ids of UTF-8 text with no special tokens.
    func encodeOrdinary(_ utf8: UnsafeBufferPointer<UInt8>, into out: inout [Int]) {
        // Work on a local cache (moved out of the instance and back) so that the hot loop pays no
        // exclusivity checks on a class property.
        var cache = ByteStringMap(capacity: 0)
        swap(&cache, &self.cache)
        defer { swap(&cache, &self.cache) }
        byteIDs.withUnsafeBufferPointer { byteIDs in
            gpt2PreTokenize(utf8) { range in
                if range.count == 1 {                       // a single byte: its own token
                    out.append(Int(byteIDs[Int(utf8[range.lowerBound])]))
                    return
                }
                let chunk = UnsafeBufferPointer(rebasing: utf8[range])
                if let cached = cache.lookup(chunk) {
                    cache.values.withUnsafeBufferPointer { ids in
                        for k in cached { out.append(Int(ids[k])) }
                    }
                    return
                }
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: chunk.count) { parts in
                    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: chunk.count) { ranks in
                        for (k, b) in chunk.enumerated() { parts[k] = byteIDs[Int(b)] }
                        var count = chunk.count
                        merges.merge(parts.baseAddress!, count: &count, ranks: ranks.baseAddress!)
                        let ids = UnsafeBufferPointer(rebasing: parts[0..<count])
                        for id in ids { out.append(Int(id)) }
                        if cache.isFull { cache.removeAll() }
                        cache.insert(chunk, values: ids)
                    }
                }
            }
        }
    }

    // MARK: - Decoding

    /// The bytes of each id, joined and read as UTF-8. A token may end inside a character (an
    /// emoji is often two or three tokens); bytes that do not form valid UTF-8 become U+FFFD
    /// (one for each maximal invalid sequence), as tiktoken's `decode` with `errors="replace"`.
    public func decode(_ ids: [Int]) -> String {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }

    /// The raw bytes of `ids`.
    public func decodeBytes(_ ids: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        for id in ids {
            precondition(id >= 0 && id < vocabularySize, "GPT2Tokenizer.decode: id \(id) is outside the vocabulary of \(vocabularySize)")
            out.append(contentsOf: tokenBytes[tokenStart[id]..<tokenStart[id + 1]])
        }
        return out
    }

    /// The bytes of one token.
    public func bytes(of id: Int) -> [UInt8] { decodeBytes([id]) }

    /// GPT-2's text of one token, as its files write it ("Ġthe" for " the").
    public func tokenString(_ id: Int) -> String { ByteToUnicode.text(of: bytes(of: id)) }
}
