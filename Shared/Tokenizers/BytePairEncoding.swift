// Byte-pair encoding from scratch: learn merges from a corpus, then use them to encode.
//
// Training (Sennrich et al., 2016, byte-level as GPT-2): start from the 256 bytes; count every
// adjacent pair of tokens in the corpus; merge the most frequent pair into a new token; repeat
// until the vocabulary has the size you want. The text is first cut with GPT-2's pre-tokenizer
// pattern, so merges never cross from one word into the next.
//
// What it leaves out (compared with GPT-2's tokenizer): special tokens other than what you
// add yourself, and GPT-2's byte-to-unicode file format (merges are saved as id pairs).

import Foundation

/// One learned merge: tokens `first` and `second` (ids) become `token`.
public struct Merge: Equatable {
    public let first: Int, second: Int, token: Int
    /// How often the pair occurred when it was chosen.
    public let count: Int
}

/// A byte-level BPE tokenizer defined by its ordered merges.
public struct BytePairTokenizer: Tokenizer {
    public private(set) var merges: [Merge]
    /// Bytes of every token id.
    public private(set) var vocabulary: [[UInt8]]
    private var rankOfPair: [Int: Int]    // key first·2²⁰ + second → merge index

    public var vocabularySize: Int { vocabulary.count }

    public init(merges: [Merge]) {
        self.merges = []
        vocabulary = (0..<256).map { [UInt8($0)] }
        rankOfPair = [:]
        for m in merges { append(m) }
    }

    mutating func append(_ m: Merge) {
        precondition(m.token == vocabulary.count, "BytePairTokenizer: merge makes token \(m.token), expected \(vocabulary.count)")
        rankOfPair[m.first << 20 | m.second] = merges.count
        merges.append(m)
        vocabulary.append(vocabulary[m.first] + vocabulary[m.second])
    }

    // MARK: - Training

    /// Learns merges from `text` until the vocabulary has `vocabularySize` tokens (at least 256).
    /// Ties between equally frequent pairs go to the smallest (first, second) id pair, so the
    /// result never depends on hashing order. `onMerge` sees every merge as it is made.
    public static func train(_ text: String, vocabularySize: Int, onMerge: ((Merge, BytePairTokenizer) -> Void)? = nil) -> BytePairTokenizer {
        precondition(vocabularySize >= 256, "BytePairTokenizer.train: vocabulary size \(vocabularySize) is below the 256 bytes")
        // Distinct pre-tokens with how often each occurs: the counting runs over these only.
        var frequency: [[UInt8]: Int] = [:]
        var text = text
        text.withUTF8 { utf8 in
            gpt2PreTokenize(utf8) { frequency[Array(utf8[$0]), default: 0] += 1 }
        }
        var words = frequency.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { (ids: $0.key.map(Int.init), count: $0.value) }
        var tokenizer = BytePairTokenizer(merges: [])
        while tokenizer.vocabularySize < vocabularySize {
            // Count every adjacent pair, weighted by how often its word occurs.
            var pairs: [Int: Int] = [:]
            for w in words where w.ids.count > 1 {
                for k in 0..<(w.ids.count - 1) { pairs[w.ids[k] << 20 | w.ids[k + 1], default: 0] += w.count }
            }
            guard let best = pairs.max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) }) else { break }
            let merge = Merge(first: best.key >> 20, second: best.key & 0xFFFFF, token: tokenizer.vocabularySize, count: best.value)
            tokenizer.append(merge)
            for i in words.indices where words[i].ids.count > 1 {
                words[i].ids = apply(merge, to: words[i].ids)
            }
            onMerge?(merge, tokenizer)
        }
        return tokenizer
    }

    /// Replaces every occurrence of the merge's pair in `ids`, left to right.
    static func apply(_ merge: Merge, to ids: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(ids.count)
        var k = 0
        while k < ids.count {
            if k + 1 < ids.count && ids[k] == merge.first && ids[k + 1] == merge.second {
                out.append(merge.token)
                k += 2
            } else {
                out.append(ids[k])
                k += 1
            }
        }
        return out
    }

    // MARK: - Encoding and decoding

    /// Encodes each pre-token by applying the learned merges in the order they were learned:
    /// repeatedly merge the adjacent pair that was learned first.
    public func encode(_ text: String) -> [Int] {
        var text = text
        return text.withUTF8 { utf8 in
            var out: [Int] = []
            gpt2PreTokenize(utf8) { range in out += encodeChunk(utf8[range].map(Int.init)) }
            return out
        }
    }

    /// The merges applied to one pre-token's bytes.
    func encodeChunk(_ bytes: [Int]) -> [Int] {
        var ids = bytes
        while ids.count > 1 {
            var best = Int.max, at = -1
            for k in 0..<(ids.count - 1) {
                if let rank = rankOfPair[ids[k] << 20 | ids[k + 1]], rank < best { best = rank; at = k }
            }
            if at < 0 { break }
            ids = Self.apply(merges[best], to: ids)
        }
        return ids
    }

    /// The bytes of the ids, read as UTF-8 (a token that ends inside a character shows as U+FFFD
    /// until the rest of the character follows).
    public func decode(_ ids: [Int]) -> String {
        String(decoding: ids.flatMap { vocabulary[$0] }, as: UTF8.self)
    }

    /// A token's bytes as readable text: printable characters as they are, others escaped.
    public func display(_ id: Int) -> String {
        let text = String(decoding: vocabulary[id], as: UTF8.self)
        return text.unicodeScalars.map { s in
            s == " " ? "␣" : s == "\n" ? "\\n" : (s.properties.isWhitespace || s.value < 32 ? "\\u{\(String(s.value, radix: 16))}" : String(s))
        }.joined()
    }

    // MARK: - Saving and loading

    static let header = "# byte-level BPE merges: first second (token ids), one per line, in the order learned"

    /// The merges as text: a header line, then "first second" per line.
    public var savedText: String {
        ([Self.header] + merges.map { "\($0.first) \($0.second)" }).joined(separator: "\n") + "\n"
    }

    /// Writes the merges to `url`.
    public func save(to url: URL) throws {
        try Data(savedText.utf8).write(to: url, options: .atomic)
    }

    /// Reads merges written by `save`; a malformed line is an error naming the file and line.
    public static func load(from url: URL) throws -> BytePairTokenizer {
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError(url.path, "cannot be read as UTF-8 text", hint: "save merges with BytePairTokenizer.save(to:)")
        }
        var tokenizer = BytePairTokenizer(merges: [])
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("#") || line.isEmpty { continue }
            let parts = line.split(separator: " ").map { Int($0) }
            guard parts.count == 2, let a = parts[0], let b = parts[1], a >= 0, b >= 0,
                  a < tokenizer.vocabularySize, b < tokenizer.vocabularySize else {
                throw TokenizerError(url.path, "line \(number + 1) is not a merge of two known token ids: \(String(line).debugDescription)")
            }
            tokenizer.append(Merge(first: a, second: b, token: tokenizer.vocabularySize, count: 0))
        }
        return tokenizer
    }
}
