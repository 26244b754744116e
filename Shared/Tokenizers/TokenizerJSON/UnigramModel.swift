// Step 3 for Unigram models (T5, ALBERT, XLNet, models trained with the library's
// UnigramTrainer): of all the ways to cut a pre-token into vocabulary pieces, take the one whose
// scores (log-probabilities) add up to the most, found in one pass by dynamic programming
// (Viterbi), as SentencePiece.swift does for `.model` files.
//
// The `tokenizers` library's version differs from the `sentencepiece` library's in ways that
// decide ties, so it is reproduced here rather than shared: scores and sums are doubles, not
// floats, and never rescaled; every vocabulary entry is a candidate, special tokens included;
// a later candidate replaces the stored one only if strictly better (the shorter piece wins a
// tie); a character no piece covers is unknown, scored (lowest score − 10), and a run of
// unknown characters is fused into one piece, which becomes the unknown id (or its bytes'
// "<0xXX>" tokens with byte_fallback).

// MARK: - Model

/// A Unigram model read from a tokenizer.json's "model" (`"type": "Unigram"`).
final class UnigramModel: TokenizerModel {
    let vocabulary: TokenVocabulary
    let scores: [Double]
    let unknownID: Int?
    let byteFallback: Bool
    private let trie: SentencePieceTrie
    private let unknownScore: Double

    init(_ node: ConfigNode) throws {
        let entries = try node.elements("vocab")
        var tokens: [String] = [], scores: [Double] = []
        tokens.reserveCapacity(entries.count)
        for entry in entries {
            guard let pair = entry.value.arrayValue, pair.count == 2, let token = pair[0].stringValue, let score = pair[1].numberValue,
                  score.isFinite else {
                throw entry.error("should be a pair [\"token\", score] with a finite score")
            }
            tokens.append(token)
            scores.append(score)
        }
        vocabulary = try TokenVocabulary(list: tokens, node: try node.child("vocab"))
        self.scores = scores
        if let unk = try node.optionalChild("unk_id") {
            let id = try unk.integerValue()
            guard id >= 0 && id < tokens.count else {
                throw unk.error("\(id) is not an id of the vocabulary of \(tokens.count)")
            }
            unknownID = id
        } else {
            unknownID = nil
        }
        byteFallback = try node.bool("byte_fallback", default: false)
        var idOfToken: [String: Int] = [:]
        for (id, token) in tokens.enumerated() { idOfToken[token] = id }     // a repeated token: its last id
        trie = SentencePieceTrie(idOfToken)
        unknownScore = (scores.min() ?? .infinity) - 10
    }

    func tokenize(_ piece: UnsafeBufferPointer<UInt8>, into ids: inout [Int]) throws {
        let text = Array(piece)
        let n = text.count
        guard n > 0 else { return }
        // For each end position: the best total of a cut of text[0..<end], where its last piece
        // starts (-1: not reached), and that piece's id.
        var best = [Double](repeating: 0, count: n + 1)
        var lastStart = [Int](repeating: -1, count: n + 1)
        var lastID = [Int](repeating: 0, count: n + 1)
        var start = 0
        while start < n {
            let here = best[start]
            let charLength = min(SentencePieceTokenizer.utf8Length(leadByte: text[start]), n - start)
            var hasSingleCharacter = false
            trie.forEachPrefix(of: text[start...]) { length, id in
                let end = start + length
                let candidate = scores[id] + here
                if lastStart[end] == -1 || candidate > best[end] {
                    best[end] = candidate
                    lastStart[end] = start
                    lastID[end] = id
                }
                if length == charLength { hasSingleCharacter = true }
            }
            if !hasSingleCharacter {
                guard let unknownID else {
                    throw TokenizerError("input", "the character \(String(decoding: text[start..<(start + charLength)], as: UTF8.self).debugDescription) is in no piece of the vocabulary and the model has no unk_id")
                }
                let end = start + charLength, candidate = unknownScore + here
                if lastStart[end] == -1 || candidate > best[end] {
                    best[end] = candidate
                    lastStart[end] = start
                    lastID[end] = unknownID
                }
            }
            start += charLength
        }
        // Walk back along the best cut; runs of unknown pieces are fused.
        var pieces: [(range: Range<Int>, id: Int)] = []
        var end = n
        while end > 0 {
            let s = lastStart[end]
            if lastID[end] == unknownID, let last = pieces.last, last.id == unknownID, last.range.lowerBound == end {
                pieces[pieces.count - 1].range = s..<last.range.upperBound
            } else {
                pieces.append((s..<end, lastID[end]))
            }
            end = s
        }
        for (range, id) in pieces.reversed() {
            guard id == unknownID else { ids.append(id); continue }
            // the library looks the fused text up again: a known token, its bytes, or unknown
            text[range].withUnsafeBufferPointer { bytes in
                if let known = vocabulary.id(ofBytes: bytes) { ids.append(known); return }
                if byteFallback {
                    let byteIDs = bytes.map { vocabulary.id(of: SentencePieceModel.piece(ofByte: $0)) }
                    if byteIDs.allSatisfy({ $0 != nil }) { ids += byteIDs.map { $0! }; return }
                }
                ids.append(id)
            }
        }
    }
}
