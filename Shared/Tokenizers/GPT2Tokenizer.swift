// GPT-2's tokenizer, built from GPT-2's own files: `encoder.json` (token → id) and
// `vocab.bpe` (the 50,000 merges in the order they were learned). Equal to tiktoken's
// `gpt2` encoding, id for id.
//
// Encoding a text:
// 1. split off the special token `<|endoftext|>` (id 50256) where it is allowed;
// 2. cut the rest into pre-tokens with GPT-2's pattern (GPT2PreTokenizer.swift);
// 3. byte-pair encode each pre-token's UTF-8 bytes: start from single bytes and repeatedly
//    merge the adjacent pair whose merged bytes were learned earliest (lowest rank), until
//    no adjacent pair forms a known token; each part is then a token id.

import Foundation

public final class GPT2Tokenizer: Tokenizer {
    /// The id of `<|endoftext|>`.
    public let endOfText: Int
    public static let endOfTextToken = "<|endoftext|>"

    /// Token id → its bytes.
    private let tokenBytes: [[UInt8]]
    /// Bytes of a token → its id, for tokens of up to 8 bytes packed into a UInt64 key …
    private var shortRanks: [UInt64: Int32] = [:]
    /// … and for longer ones.
    private var longRanks: [[UInt8]: Int32] = [:]
    /// Rank (merge order) → id: bytes first, then the token each merge made.
    private let byteIDs: [Int]
    /// Recently encoded pre-tokens (most words repeat), by a hash of their bytes.
    private var cache: [UInt64: (bytes: [UInt8], ids: [Int])] = [:]

    public var vocabularySize: Int { tokenBytes.count }

    /// GPT-2's tokenizer from a directory with `encoder.json` and `vocab.bpe` (GPT-2's names)
    /// or `vocab.json` and `merges.txt` (Hugging Face's).
    public convenience init(directory: URL) throws {
        let fm = FileManager.default
        let openAI = (directory.appendingPathComponent("encoder.json"), directory.appendingPathComponent("vocab.bpe"))
        let huggingFace = (directory.appendingPathComponent("vocab.json"), directory.appendingPathComponent("merges.txt"))
        let files = fm.fileExists(atPath: openAI.0.path) ? openAI : huggingFace
        try self.init(vocabulary: files.0, merges: files.1)
    }

    /// Reads a token → id JSON file and a merges file (one "first second" pair per line, in
    /// rank order, optionally after a `#version` line).
    public init(vocabulary: URL, merges: URL) throws {
        guard let vocabData = FileManager.default.contents(atPath: vocabulary.path) else {
            throw TokenizerError(vocabulary.path, "cannot be read", hint: "GPT-2's tokenizer needs encoder.json (or vocab.json) and vocab.bpe (or merges.txt)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: vocabData), let vocab = object as? [String: Int] else {
            throw TokenizerError(vocabulary.path, "is not a JSON object mapping tokens to integer ids")
        }
        guard let mergesText = FileManager.default.contents(atPath: merges.path).flatMap({ String(data: $0, encoding: .utf8) }) else {
            throw TokenizerError(merges.path, "cannot be read as UTF-8 text")
        }
        // id → bytes, checking that ids are 0..<count without gaps or repeats
        var bytesOfID = [[UInt8]?](repeating: nil, count: vocab.count)
        for (token, id) in vocab {
            guard id >= 0 && id < vocab.count else {
                throw TokenizerError(vocabulary.path, "token \(token.debugDescription) has id \(id), outside 0..<\(vocab.count)")
            }
            guard bytesOfID[id] == nil else { throw TokenizerError(vocabulary.path, "id \(id) is used twice") }
            guard let b = ByteLevel.bytes(of: token) else {
                throw TokenizerError(vocabulary.path, "token \(token.debugDescription) has a character outside GPT-2's byte alphabet")
            }
            bytesOfID[id] = b
        }
        let tokens = bytesOfID.map { $0! }
        var idOfBytes: [[UInt8]: Int] = [:]
        for (id, b) in tokens.enumerated() { idOfBytes[b] = id }
        // Ranks: the 256 single bytes first, then each merge's result in file order.
        var byteIDs = [Int](repeating: -1, count: 256)
        for b in 0..<256 {
            guard let id = idOfBytes[[UInt8(b)]] else {
                throw TokenizerError(vocabulary.path, "has no token for the byte \(b)", hint: "a byte-level vocabulary must contain all 256 bytes")
            }
            byteIDs[b] = id
        }
        self.tokenBytes = tokens
        self.byteIDs = byteIDs
        self.endOfText = vocab[Self.endOfTextToken] ?? -1
        var rank: Int32 = 256
        for (number, line) in mergesText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("#version") || line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let parts = line.split(separator: " ")
            guard parts.count == 2, let a = ByteLevel.bytes(of: String(parts[0])), let b = ByteLevel.bytes(of: String(parts[1])) else {
                throw TokenizerError(merges.path, "line \(number + 1) is not a merge of two tokens: \(line.debugDescription)")
            }
            guard idOfBytes[a + b] != nil else {
                throw TokenizerError(merges.path, "line \(number + 1): the merge \(line) makes a token that is not in \(vocabulary.lastPathComponent)")
            }
            setRank(a + b, rank)
            rank += 1
        }
    }

    /// GPT-2's tokenizer from the course's `data/gpt2` directory.
    public static func fromDataDirectory(_ directory: URL) throws -> GPT2Tokenizer {
        try GPT2Tokenizer(directory: directory)
    }

    // MARK: - Ranks

    @inline(__always) private static func packed(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var key = UInt64(b.count)
        for (i, byte) in b.enumerated() { key |= UInt64(byte) << (8 * UInt64(i) + 8) }
        return key
    }

    private func setRank(_ bytes: [UInt8], _ rank: Int32) {
        if bytes.count <= 7 {
            bytes.withUnsafeBufferPointer { shortRanks[Self.packed($0)] = rank }
        } else if longRanks[bytes] == nil {
            longRanks[bytes] = rank
        }
    }

    /// The rank of the token made of these bytes, if it is a merged token.
    @inline(__always) private func rank(_ b: UnsafeBufferPointer<UInt8>) -> Int32? {
        b.count <= 7 ? shortRanks[Self.packed(b)] : longRanks[Array(b)]
    }

    // MARK: - Encoding

    /// The ids of `text`; `<|endoftext|>` in the text becomes its special id when
    /// `allowSpecial` (tiktoken's `allowed_special={"<|endoftext|>"}`), else it is encoded as
    /// ordinary text.
    public func encode(_ text: String, allowSpecial: Bool) -> [Int] {
        guard allowSpecial, endOfText >= 0, text.contains(Self.endOfTextToken) else { return encodeOrdinary(text) }
        var out: [Int] = []
        for (i, piece) in text.components(separatedBy: Self.endOfTextToken).enumerated() {
            if i > 0 { out.append(endOfText) }
            out += encodeOrdinary(piece)
        }
        return out
    }

    /// The ids of `text`, with `<|endoftext|>` recognised as the special token.
    public func encode(_ text: String) -> [Int] { encode(text, allowSpecial: true) }

    /// Encodes text with no special tokens.
    public func encodeOrdinary(_ text: String) -> [Int] {
        var text = text
        return text.withUTF8 { utf8 in
            var out: [Int] = []
            out.reserveCapacity(utf8.count / 3)
            gpt2PreTokenize(utf8) { range in
                let piece = UnsafeBufferPointer(rebasing: utf8[range])
                if piece.count == 1 { out.append(byteIDs[Int(piece[0])]); return }
                // Most pre-tokens are words seen before: look them up by a hash of their bytes.
                let key = Self.hash(piece)
                if let entry = cache[key], entry.bytes.elementsEqual(piece) {
                    out.append(contentsOf: entry.ids)
                    return
                }
                let bytes = Array(piece)
                let ids = bytePairEncode(bytes)
                if cache.count > 200_000 { cache.removeAll(keepingCapacity: true) }
                cache[key] = (bytes, ids)
                out.append(contentsOf: ids)
            }
            return out
        }
    }

    /// FNV-1a, 64 bits.
    @inline(__always) static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    /// The byte-pair merge of one pre-token: tiktoken's algorithm. `parts` holds the start of
    /// each part; each step merges the adjacent pair with the lowest rank (the leftmost on ties).
    func bytePairEncode(_ bytes: [UInt8]) -> [Int] {
        if bytes.count == 1 { return [byteIDs[Int(bytes[0])]] }
        return bytes.withUnsafeBufferPointer { b -> [Int] in
            var starts = Array(0...bytes.count)           // part k is b[starts[k]..<starts[k+1]]
            // ranks[k]: rank of merging part k with part k+1 (Int32.max if not a token)
            func pairRank(_ k: Int) -> Int32 {
                guard k + 2 < starts.count else { return .max }
                return rank(UnsafeBufferPointer(rebasing: b[starts[k]..<starts[k + 2]])) ?? .max
            }
            var ranks = (0..<(starts.count - 1)).map { pairRank($0) }
            while true {
                var best = Int32.max, at = -1
                for (k, r) in ranks.enumerated() where r < best { best = r; at = k }
                if at < 0 { break }
                starts.remove(at: at + 1)
                ranks.remove(at: at + 1)
                ranks[at] = pairRank(at)
                if at > 0 { ranks[at - 1] = pairRank(at - 1) }
            }
            return (0..<(starts.count - 1)).map { k in
                let part = UnsafeBufferPointer(rebasing: b[starts[k]..<starts[k + 1]])
                if part.count == 1 { return byteIDs[Int(part[0])] }
                return id(of: Array(part))
            }
        }
    }

    /// The id of a merged token's bytes.
    private lazy var idOfBytes: [[UInt8]: Int] = {
        var map: [[UInt8]: Int] = [:]
        for (id, b) in tokenBytes.enumerated() { map[b] = id }
        return map
    }()

    private func id(of bytes: [UInt8]) -> Int { idOfBytes[bytes]! }

    // MARK: - Decoding

    /// The bytes of each id, joined and read as UTF-8 (invalid sequences, from a partial
    /// character cut between tokens, become U+FFFD as tiktoken's `errors="replace"`).
    public func decode(_ ids: [Int]) -> String {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }

    /// The raw bytes of `ids`.
    public func decodeBytes(_ ids: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids {
            precondition(id >= 0 && id < tokenBytes.count, "GPT2Tokenizer.decode: id \(id) is outside the vocabulary of \(tokenBytes.count)")
            out += tokenBytes[id]
        }
        return out
    }

    /// GPT-2's text of one token, as stored in encoder.json ("Ġthe" for " the").
    public func tokenString(_ id: Int) -> String { ByteLevel.text(of: tokenBytes[id]) }
}

/// Appends the UTF-8 encoding of a Unicode scalar value.
@inline(__always) func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
    switch v {
    case 0..<0x80: out.append(UInt8(v))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | (v >> 6))); out.append(UInt8(0x80 | (v & 0x3F)))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | (v >> 12))); out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
    default:
        out.append(UInt8(0xF0 | (v >> 18))); out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
    }
}
