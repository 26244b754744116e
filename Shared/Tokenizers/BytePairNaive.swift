// The plainest byte-pair encoding trainer, kept beside the fast one (BytePairEncoding.swift)
// because it is the algorithm as one would first write it — and the tests check that the fast
// one learns exactly the same merges.

extension BytePairTokenizer {
    /// Learns merges from `text` as `train` does, recounting every pair of every word after each
    /// merge: about (number of merges) × (size of the text) steps.
    ///
    ///     BytePairTokenizer.trainNaive("aaabdaaabac", vocabularySize: 259).merges
    ///     // [(97, 97) → 256 ×4, (97, 98) → 257 ×2, (256, 257) → 258 ×2]: Wikipedia's aa, ab, aaab
    ///     // ((256, 97) also occurs twice, but (97, 98) is the smaller pair)
    public static func trainNaive(_ text: String, vocabularySize: Int,
                                  onMerge: ((Merge, BytePairTokenizer) -> Void)? = nil) -> BytePairTokenizer {
        precondition(vocabularySize >= 256, "BytePairTokenizer.trainNaive: vocabulary size \(vocabularySize) is below the 256 bytes")
        var (words, frequency) = distinctWords(text)
        var tokenizer = BytePairTokenizer()
        while tokenizer.vocabularySize < vocabularySize {
            // Count every adjacent pair, each word weighted by how often it occurs.
            var pairCount: [UInt64: Int] = [:]
            for (w, word) in words.enumerated() where word.count > 1 {
                for k in 0..<(word.count - 1) { pairCount[pairKey(word[k], word[k + 1]), default: 0] += frequency[w] }
            }
            // The most frequent; on a tie, the smallest (first, second).
            var best: (key: UInt64, count: Int)? = nil
            for (key, count) in pairCount {
                if let b = best, count < b.count || (count == b.count && key > b.key) { continue }
                best = (key, count)
            }
            guard let (key, count) = best else { break }
            let merge = Merge(first: Int(key >> 32), second: Int(key & 0xFFFF_FFFF), token: tokenizer.vocabularySize, count: count)
            for w in words.indices where words[w].count > 1 {
                words[w] = applyMerge(Int32(merge.first), Int32(merge.second), Int32(merge.token), to: words[w])
            }
            tokenizer.append(merge)
            onMerge?(merge, tokenizer)
        }
        return tokenizer
    }
}
