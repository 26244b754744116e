// SentencePiece's unigram tokenizer (Kudo, 2018), as T5, ALBERT, XLNet, Llama 1/2 and Marian
// use it. Three steps:
//
//   1. normalise: drop leading and trailing spaces and squeeze runs of spaces into one, write
//      each space as "▁" (U+2581), and put a "▁" in front ("Hello  world" → "▁Hello▁world");
//   2. segment: every piece has a score, its log-probability; of all the ways to cut the text
//      into pieces, take the one whose scores add up to the most. Dynamic programming finds it
//      in one pass (Viterbi): the best cut of the first k bytes is the best, over every piece
//      ending at k, of (best cut up to where that piece starts) + (that piece's score);
//   3. a character that no piece covers is "unknown", scored 10 below the worst piece; each
//      run of unknown characters becomes one <unk> (or, with byte fallback, one <0xXX> piece
//      per UTF-8 byte).
//
// Equal to the `sentencepiece` library (0.2.3: `SentencePieceProcessor.encode` and `decode`) on
// every case of Tests/Fixtures/sentencepiece/cases.jsonl and on all of tiny Shakespeare, which
// takes reproducing how it breaks ties between equally good cuts and how it adds scores.

import Foundation

/// A SentencePiece unigram tokenizer, read from a `.model` file.
///
///     let sp = try SentencePieceTokenizer(model: URL(fileURLWithPath: "unigram.model"))
///     sp.pieces(for: "Hello, world!").map(\.piece)   // ["▁He", "ll", "o", ",", "▁world", "!"]
///     sp.encode("Hello, world!")                     // [179, 60, 45, 3, 412, 24]
///     sp.decode([179, 60, 45, 3, 412, 24])           // "Hello, world!"
public struct SentencePieceTokenizer: Tokenizer {
    public let model: SentencePieceModel
    /// The pieces the segmentation may use: normal, user-defined and unused ones (unused
    /// pieces are found but skipped, as in the library).
    private let trie: SentencePieceTrie
    /// The user-defined symbols, kept whole by the normaliser.
    private let userDefinedTrie: SentencePieceTrie?
    /// Score of an unknown character: the lowest normal score minus 10.
    private let unknownScore: Float
    /// The id of each byte's piece `<0xXX>`, when byte fallback is on.
    private let byteIDs: [Int]
    /// Per piece id: its type and score (read in the inner loop).
    private let pieceKinds: [SentencePieceModel.PieceType]
    private let pieceScores: [Float]

    /// "▁" (U+2581 LOWER ONE EIGHTH BLOCK), how SentencePiece writes a space.
    public static let spaceSymbol = "\u{2581}"
    private static let spaceBytes: [UInt8] = [0xE2, 0x96, 0x81]

    public var vocabularySize: Int { model.pieces.count }

    // MARK: - Loading

    /// Reads a `.model` file (see `SentencePieceModel` for what is checked).
    public init(model url: URL) throws {
        self.init(model: try SentencePieceModel(contentsOf: url))
    }

    /// A tokenizer for a model already read.
    public init(model: SentencePieceModel) {
        self.model = model
        var usable: [String: Int] = [:], userDefined: [String: Int] = [:], byPiece: [String: Int] = [:]
        var minScore = Float.greatestFiniteMagnitude
        for (id, piece) in model.pieces.enumerated() {
            if byPiece[piece.text] == nil { byPiece[piece.text] = id }
            switch piece.type {
            case .normal:
                usable[piece.text] = id
                minScore = min(minScore, piece.score)
            case .userDefined:
                usable[piece.text] = id
                userDefined[piece.text] = id
            case .unused:
                usable[piece.text] = id
            default:
                break
            }
        }
        trie = SentencePieceTrie(usable)
        pieceKinds = model.pieces.map(\.type)
        pieceScores = model.pieces.map(\.score)
        userDefinedTrie = userDefined.isEmpty ? nil : SentencePieceTrie(userDefined)
        unknownScore = minScore - 10
        byteIDs = model.byteFallback ? (0...255).map { byPiece[SentencePieceModel.piece(ofByte: UInt8($0))] ?? model.unknownID } : []
    }

    // MARK: - Normalising

    /// The normalised text: extra spaces removed, spaces written "▁", a "▁" in front.
    ///
    ///     sp.normalize("  Hello   world ")    // "▁Hello▁world"
    public func normalize(_ text: String) -> String {
        String(decoding: normalizedBytes(text), as: UTF8.self)
    }

    /// Normalisation on UTF-8 bytes, one character (or user-defined symbol) at a time, as the
    /// library's `Normalizer::Normalize` does with the identity rule.
    func normalizedBytes(_ text: String) -> [UInt8] {
        let input = Array(text.utf8)
        let space: [UInt8] = model.escapeWhitespaces ? Self.spaceBytes : [0x20]
        // the length of the unit at `i`: a user-defined symbol, else one UTF-8 character
        func unitLength(_ i: Int) -> Int {
            if let trie = userDefinedTrie, let n = trie.longestPrefix(of: input[i...]) { return n }
            return min(Self.utf8Length(leadByte: input[i]), input.count - i)
        }
        var i = 0
        if model.removeExtraWhitespaces {             // leading spaces
            while i < input.count && input[i] == 0x20 && unitLength(i) == 1 { i += 1 }
        }
        if i == input.count { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 2 + 3)
        if model.addDummyPrefix && !model.treatWhitespaceAsSuffix { out += space }
        var previousIsSpace = model.removeExtraWhitespaces
        while i < input.count {
            let n = unitLength(i)
            var unit = input[i..<(i + n)]
            while previousIsSpace && unit.first == 0x20 { unit = unit.dropFirst() }
            if let last = unit.last {
                for byte in unit {
                    if byte == 0x20 { out += space } else { out.append(byte) }
                }
                previousIsSpace = last == 0x20
            }
            if !model.removeExtraWhitespaces { previousIsSpace = false }
            i += n
        }
        if model.removeExtraWhitespaces {             // trailing spaces
            while out.count >= space.count && out[(out.count - space.count)...].elementsEqual(space) {
                out.removeLast(space.count)
            }
        }
        if model.addDummyPrefix && model.treatWhitespaceAsSuffix { out += space }
        return out
    }

    /// The number of bytes of the UTF-8 character that starts with `leadByte`.
    @inline(__always)
    static func utf8Length(leadByte: UInt8) -> Int {
        switch leadByte >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }

    // MARK: - Segmenting (Viterbi)

    /// The best segmentation of normalised bytes: (start, end, id) of each piece, unknown
    /// characters one by one with the unknown id.
    ///
    /// This is what `encode` runs in sentencepiece 0.2.3 (as its compiled code shows; two of
    /// these details are not in the library's source of early 2025). The details decide ties:
    /// - positions are bytes; each start walks the trie once, shortest piece first;
    /// - scores and their sums are floats; a later candidate must be strictly greater to
    ///   replace the one stored, so the earlier start (or the shorter piece) wins a tie;
    /// - unused pieces are skipped; a user-defined piece of n bytes scores 0.1 × (n − 1), more
    ///   than any normal piece, so it is always taken; a character with no piece of its own is
    ///   unknown, scored (lowest normal score − 10);
    /// - when the total at a start passes ±100,000 (long texts: tiny Shakespeare would reach
    ///   −2.4 million, where floats are 0.25 apart), that total is subtracted from every total
    ///   stored from there on. Without this step 8 of tiny Shakespeare's 473,679 pieces differ
    ///   from the library's: nearly equal cuts round differently.
    func viterbi(_ text: [UInt8]) -> [(start: Int, end: Int, id: Int)] {
        let n = text.count
        if n == 0 { return [] }
        // For each end position: the best total of a cut of text[0..<end], where its last
        // piece starts (-1: not reached yet), and that piece's id.
        var bestTotal = [Float](repeating: 0, count: n + 1)
        var lastStart = [Int](repeating: -1, count: n + 1)
        var lastID = [Int](repeating: -1, count: n + 1)
        var furthest = 0                    // the furthest end position reached so far
        var start = 0
        while start < n {
            var totalHere = bestTotal[start]
            if totalHere < -100_000 || totalHere > 100_000 {
                for end in start...furthest where end == start || lastStart[end] != -1 {
                    bestTotal[end] -= totalHere
                }
                totalHere = 0
            }
            let charLength = min(Self.utf8Length(leadByte: text[start]), n - start)
            var hasSingleCharacterPiece = false
            trie.forEachPrefix(of: text[start...]) { length, id in
                let kind = pieceKinds[id]
                if kind == .unused { return }
                let end = start + length
                furthest = max(furthest, end)
                let score = kind == .userDefined ? Float(Double(length - 1) * 0.1) : pieceScores[id]
                let candidate = score + totalHere
                if lastStart[end] == -1 || candidate > bestTotal[end] {
                    bestTotal[end] = candidate
                    lastStart[end] = start
                    lastID[end] = id
                }
                if length == charLength { hasSingleCharacterPiece = true }
            }
            if !hasSingleCharacterPiece {
                let end = start + charLength
                let candidate = unknownScore + totalHere
                if lastStart[end] == -1 || candidate > bestTotal[end] {
                    bestTotal[end] = candidate
                    lastStart[end] = start
                    lastID[end] = model.unknownID
                }
                furthest = max(furthest, end)
            }
            start += charLength
        }
        // Walk back from the end along the best cut.
        var result: [(start: Int, end: Int, id: Int)] = []
        var end = n
        while end > 0 {
            result.append((lastStart[end], end, lastID[end]))
            end = lastStart[end]
        }
        return result.reversed()
    }

    // MARK: - Encoding

    /// Each piece of `text` with its id: the strings `encode(text, out_type=str)` gives, and the
    /// ids `encode(text)` gives.
    public func pieces(for text: String) -> [(piece: String, id: Int)] {
        let normalized = normalizedBytes(text)
        var out: [(piece: String, id: Int)] = []
        var previousIsUnknown = false
        for (start, end, id) in viterbi(normalized) {
            let isUnknown = id == model.unknownID
            let bytes = normalized[start..<end]
            if isUnknown && model.byteFallback {
                // an unknown character becomes its UTF-8 bytes, <0xE6> <0x97> <0xA5>
                for byte in bytes { out.append((model.pieces[byteIDs[Int(byte)]].text, byteIDs[Int(byte)])) }
            } else if isUnknown && previousIsUnknown {
                // a run of unknown characters is one <unk>
                out[out.count - 1].piece += String(decoding: bytes, as: UTF8.self)
            } else {
                out.append((String(decoding: bytes, as: UTF8.self), id))
            }
            previousIsUnknown = isUnknown
        }
        return out
    }

    /// The ids of `text` (no `<s>` or `</s>` added).
    public func encode(_ text: String) -> [Int] {
        pieces(for: text).map(\.id)
    }

    // MARK: - Decoding

    /// The text of `ids`: pieces joined, "▁" turned back into spaces, the leading space (the
    /// dummy prefix) removed; `<unk>` shows as " ⁇ ", control pieces (`<s>`, `</s>`) as nothing,
    /// byte pieces as the UTF-8 characters they spell (U+FFFD for each byte that spells none).
    public func decode(_ ids: [Int]) -> String {
        var text: [UInt8] = []
        var pendingBytes: [UInt8] = []
        // At the start, a leading "▁" is the dummy prefix and is dropped; with
        // remove_extra_whitespaces, this goes on while the text decoded so far is empty.
        var atStart = true, startSpaceSeen = false
        for id in ids {
            precondition(id >= 0 && id < model.pieces.count, "SentencePieceTokenizer.decode: id \(id) is outside the vocabulary of \(model.pieces.count)")
            let piece = model.pieces[id]
            if piece.type == .byte {
                pendingBytes.append(SentencePieceModel.byte(ofPiece: piece.text)!)
                continue
            }
            Self.appendUTF8Repairing(pendingBytes, to: &text)
            pendingBytes.removeAll()
            if startSpaceSeen || !text.isEmpty { atStart = false }
            switch piece.type {
            case .control:
                startSpaceSeen = false
            case .unknown:
                text += Array(model.unknownSurface.utf8)
                startSpaceSeen = false
            default:
                var bytes = Array(piece.text.utf8)[...]
                startSpaceSeen = false
                if atStart && (model.addDummyPrefix || model.removeExtraWhitespaces) && bytes.starts(with: Self.spaceBytes) {
                    bytes = bytes.dropFirst(3)
                    startSpaceSeen = !model.removeExtraWhitespaces
                }
                var k = bytes.startIndex
                while k < bytes.endIndex {
                    if bytes[k...].starts(with: Self.spaceBytes) {
                        text.append(0x20)
                        k += 3
                    } else {
                        text.append(bytes[k])
                        k += 1
                    }
                }
            }
        }
        Self.appendUTF8Repairing(pendingBytes, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends bytes that should be UTF-8, each byte that does not start a valid character
    /// replaced by U+FFFD (one per byte, as the library does; Swift would use one per run).
    static func appendUTF8Repairing(_ bytes: [UInt8], to text: inout [UInt8]) {
        var i = 0
        while i < bytes.count {
            let n = utf8Length(leadByte: bytes[i])
            if n == 1 && bytes[i] < 0x80 {
                text.append(bytes[i])
                i += 1
                continue
            }
            if n > 1 && i + n <= bytes.count, bytes[(i + 1)..<(i + n)].allSatisfy({ $0 & 0xC0 == 0x80 }) {
                var scalar = UInt32(bytes[i]) & (0xFF >> (n + 1))
                for k in 1..<n { scalar = scalar << 6 | UInt32(bytes[i + k] & 0x3F) }
                let smallest: UInt32 = [0, 0, 0x80, 0x800, 0x10000][n]
                if scalar >= smallest && scalar <= 0x10FFFF && !(0xD800...0xDFFF).contains(scalar) && !(n == 4 && bytes[i] > 0xF7) {
                    text += bytes[i..<(i + n)]
                    i += n
                    continue
                }
            }
            text += [0xEF, 0xBF, 0xBD]     // U+FFFD
            i += 1
        }
    }
}
