// Encoding one piece of text with byte-pair merges, step by step, the plain way: look at every
// adjacent pair, merge the one learned earliest, repeat. `MergeTable.merge` does the same with
// a hash table and a rank per pair (the fast path `encode` uses); this one is for reading and
// for checking the fast one.

extension BytePairTokenizer {
    /// One step of encoding: the merge applied (every occurrence of its pair, left to right)
    /// and the tokens after it.
    public struct EncodingStep: Equatable {
        /// The merge's rank: its place in training order (0 = learned first).
        public let rank: Int
        public let merge: Merge
        public let tokens: [Int]
    }

    /// The bytes of `piece` and every merge that turns them into its tokens, in the order they
    /// apply: at each step the adjacent pair learned earliest (lowest rank) is merged, until no
    /// adjacent pair was ever merged in training. `piece` should be one pre-token (a word with
    /// its leading space): `encode` cuts text into those first.
    ///
    ///     let bpe = BytePairTokenizer.train("low lower lowest", vocabularySize: 260)
    ///     bpe.traceEncoding(" low").steps.map(\.rank)    // [0, 1, 2]: "lo", "low", " low"
    public func traceEncoding(_ piece: String) -> (bytes: [Int], steps: [EncodingStep]) {
        let bytes = piece.utf8.map(Int.init)
        var rankOfPair: [Int: Int] = [:]                                   // first << 32 | second → rank
        for (rank, m) in merges.enumerated() where rankOfPair[m.first << 32 | m.second] == nil {
            rankOfPair[m.first << 32 | m.second] = rank
        }
        var tokens = bytes
        var steps: [EncodingStep] = []
        while tokens.count > 1 {
            // the adjacent pair learned earliest
            var best: Int? = nil
            for k in 0..<(tokens.count - 1) {
                if let rank = rankOfPair[tokens[k] << 32 | tokens[k + 1]], rank < (best ?? Int.max) { best = rank }
            }
            guard let rank = best else { break }
            let merge = merges[rank]
            var merged: [Int] = []
            var k = 0
            while k < tokens.count {
                if k + 1 < tokens.count && tokens[k] == merge.first && tokens[k + 1] == merge.second {
                    merged.append(merge.token)
                    k += 2
                } else {
                    merged.append(tokens[k])
                    k += 1
                }
            }
            tokens = merged
            steps.append(EncodingStep(rank: rank, merge: merge, tokens: tokens))
        }
        return (bytes, steps)
    }
}
