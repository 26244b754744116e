// SentencePiece's unigram tokenizer (Kudo, 2018), as T5, Llama 1/2 and Marian use it.
// Text is normalised (spaces collapsed, each space written "▁", and a "▁" put in front), then
// cut into the pieces whose scores (log-probabilities) add up to the most, found by dynamic
// programming over every position (Viterbi). A character no piece covers becomes <unk>, and
// neighbouring unknown characters share one <unk>. Equal to the `sentencepiece` library.

import Foundation

public struct SentencePieceTokenizer: Tokenizer {
    public let model: SentencePieceModel
    /// Pieces the encoder may use (normal and user-defined) by text.
    private let candidates: [String: Int]
    private let maxPieceLength: Int
    private let unknownScore: Float
    public static let space: Unicode.Scalar = "\u{2581}"   // ▁
    public var vocabularySize: Int { model.pieces.count }

    public init(model url: URL) throws {
        try self.init(model: SentencePieceModel(contentsOf: url))
    }

    public init(model: SentencePieceModel) {
        self.model = model
        var map: [String: Int] = [:]
        var longest = 1
        for (id, p) in model.pieces.enumerated() where p.type == .normal || p.type == .userDefined {
            if map[p.text] == nil { map[p.text] = id }
            longest = max(longest, p.text.unicodeScalars.count)
        }
        candidates = map
        maxPieceLength = longest
        // SentencePiece's penalty for an unknown character: 10 below the lowest piece score.
        unknownScore = (model.pieces.filter { $0.type == .normal }.map(\.score).min() ?? 0) - 10
    }

    /// The normalised text: extra spaces removed, spaces as "▁", with the "▁" prefix.
    public func normalize(_ text: String) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        var previousWasSpace = true      // drops leading spaces
        for s in text.unicodeScalars {
            if s == " " {
                if model.removeExtraWhitespaces && previousWasSpace { continue }
                previousWasSpace = true
                out.append(model.escapeWhitespaces ? Self.space : s)
            } else {
                previousWasSpace = false
                out.append(s)
            }
        }
        if model.removeExtraWhitespaces, out.last == Self.space || out.last == " " { out.removeLast() }
        if model.addDummyPrefix && !out.isEmpty { out.insert(model.escapeWhitespaces ? Self.space : " ", at: 0) }
        return out
    }

    /// The best segmentation: (piece text, id) for each piece.
    public func pieces(for text: String) -> [(piece: String, id: Int)] {
        let chars = normalize(text)
        let n = chars.count
        if n == 0 { return [] }
        // best[i]: the highest total score of a segmentation of chars[0..<i], and its last piece
        var best = [Float](repeating: -.infinity, count: n + 1)
        var lastStart = [Int](repeating: -1, count: n + 1)
        var lastID = [Int](repeating: -1, count: n + 1)
        best[0] = 0
        for start in 0..<n where best[start] > -.infinity {
            var hasSingle = false
            var piece = String.UnicodeScalarView()
            for end in (start + 1)...min(n, start + maxPieceLength) {
                piece.append(chars[end - 1])
                guard let id = candidates[String(piece)] else { continue }
                if end == start + 1 { hasSingle = true }
                let score = best[start] + model.pieces[id].score
                if lastStart[end] < 0 || score > best[end] {   // the first found wins a tie, as in SentencePiece
                    best[end] = score; lastStart[end] = start; lastID[end] = id
                }
            }
            if !hasSingle {
                let score = best[start] + unknownScore
                if lastStart[start + 1] < 0 || score > best[start + 1] {
                    best[start + 1] = score; lastStart[start + 1] = start; lastID[start + 1] = model.unknownID
                }
            }
        }
        // Walk back from the end, merging neighbouring unknown characters into one <unk>.
        var out: [(piece: String, id: Int)] = []
        var end = n
        while end > 0 {
            let start = lastStart[end], id = lastID[end]
            let text = String(String.UnicodeScalarView(chars[start..<end]))
            if id == model.unknownID, let previous = out.last, previous.id == model.unknownID {
                out[out.count - 1].piece = text + previous.piece
            } else {
                out.append((text, id))
            }
            end = start
        }
        return out.reversed()
    }

    public func encode(_ text: String) -> [Int] { pieces(for: text).map(\.id) }

    /// The text of `ids`: "▁" becomes a space, the leading "▁" of the first piece is dropped,
    /// <unk> shows as " ⁇ ", control pieces (<s>, </s>) as nothing.
    public func decode(_ ids: [Int]) -> String {
        var out = ""
        for (k, id) in ids.enumerated() {
            let p = model.pieces[id]
            switch p.type {
            case .unknown: out += model.unknownSurface
            case .control, .unused: continue
            default:
                var text = p.text
                if k == 0 && model.addDummyPrefix && text.unicodeScalars.first == Self.space { text = String(text.unicodeScalars.dropFirst()) }
                out += text.replacingOccurrences(of: String(Self.space), with: " ")
            }
        }
        return out
    }
}
