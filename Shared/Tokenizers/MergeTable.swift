// The lookup at the heart of byte-pair encoding: given two adjacent tokens, were they merged
// during training, how early (rank), and into which token? Shared by the course's own BPE
// (BytePairTokenizer) and GPT-2's tokenizer.

// MARK: - Merge table

/// (first id, second id) → (rank, merged id), as a hash table with open addressing: one
/// multiplication to hash, a linear probe on collision, no allocation per lookup.
///
///     var table = MergeTable(capacity: 2)
///     table.insert(first: 104, second: 105, rank: 0, merged: 256)   // "h" "i" → "hi"
///     MergeTable.rank(of: table.lookup(104, 105))                   // 0
///     MergeTable.merged(of: table.lookup(104, 105))                 // 256
///     table.lookup(105, 104) == MergeTable.none                     // true
struct MergeTable {
    /// What `lookup` returns for a pair that was never merged: larger than every real entry.
    static let none = UInt64.max
    private static let empty = UInt64.max

    /// Keys are first << 32 | second; values rank << 32 | merged id, so the smaller value is
    /// the earlier merge.
    private var keys: [UInt64]
    private var values: [UInt64]
    private var shift: UInt64
    private(set) var count = 0

    /// A table for up to `capacity` merges (kept at most half full).
    init(capacity: Int) {
        var size = 16
        while size < 2 * capacity { size *= 2 }
        keys = [UInt64](repeating: Self.empty, count: size)
        values = [UInt64](repeating: 0, count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inline(__always) private static func key(_ first: Int32, _ second: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: first)) << 32 | UInt64(UInt32(bitPattern: second))
    }

    @inline(__always) private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)   // Fibonacci hashing
    }

    /// Records a merge; returns false (and keeps the earlier entry) if the pair is already there.
    @discardableResult
    mutating func insert(first: Int, second: Int, rank: Int, merged: Int) -> Bool {
        if 2 * (count + 1) > keys.count { grow() }
        let key = Self.key(Int32(first), Int32(second))
        var k = slot(key)
        while keys[k] != Self.empty {
            if keys[k] == key { return false }
            k = (k + 1) & (keys.count - 1)
        }
        keys[k] = key
        values[k] = UInt64(rank) << 32 | UInt64(merged)
        count += 1
        return true
    }

    private mutating func grow() {
        var bigger = MergeTable(capacity: keys.count)
        for (k, key) in keys.enumerated() where key != Self.empty {
            bigger.insert(first: Int(key >> 32), second: Int(key & 0xFFFF_FFFF),
                          rank: Int(values[k] >> 32), merged: Int(values[k] & 0xFFFF_FFFF))
        }
        self = bigger
    }

    /// rank << 32 | merged id of the pair, or `MergeTable.none`.
    @inline(__always) func lookup(_ first: Int32, _ second: Int32) -> UInt64 {
        let key = Self.key(first, second)
        return keys.withUnsafeBufferPointer { keys in
            var k = slot(key)
            while true {
                let found = keys[k]
                if found == key { return values.withUnsafeBufferPointer { $0[k] } }
                if found == Self.empty { return Self.none }
                k = (k + 1) & (keys.count - 1)
            }
        }
    }

    @inline(__always) static func rank(of entry: UInt64) -> Int { Int(entry >> 32) }
    @inline(__always) static func merged(of entry: UInt64) -> Int32 { Int32(truncatingIfNeeded: entry) }

    // MARK: - Byte-pair encoding of one chunk

    /// Merges the tokens of `parts` in place, earliest merge first, until no adjacent pair is
    /// in the table; `parts.count` shrinks by one per merge. Among several places where the
    /// earliest merge applies, the leftmost goes first ("aaa" with a+a → "aa" gives "aa", "a").
    /// This is tiktoken's and Hugging Face's algorithm; `ranks` is scratch space of at least
    /// `parts.count` entries.
    ///
    /// It keeps the rank of every adjacent pair and, after a merge, looks up only the two pairs
    /// that changed: a chunk of n bytes costs about 2n lookups.
    @inline(__always)
    func merge(_ parts: UnsafeMutablePointer<Int32>, count: inout Int, ranks: UnsafeMutablePointer<UInt64>) {
        guard count > 1 else { return }
        for k in 0..<(count - 1) { ranks[k] = lookup(parts[k], parts[k + 1]) }
        while count > 1 {
            var best = Self.none, at = -1
            for k in 0..<(count - 1) where ranks[k] < best { best = ranks[k]; at = k }
            if at < 0 { return }
            parts[at] = Self.merged(of: best)
            // close the gap at at + 1
            var k = at + 1
            while k + 1 < count { parts[k] = parts[k + 1]; ranks[k] = ranks[k + 1]; k += 1 }
            count -= 1
            if at + 1 < count { ranks[at] = lookup(parts[at], parts[at + 1]) }
            if at > 0 { ranks[at - 1] = lookup(parts[at - 1], parts[at]) }
        }
    }

    /// `merge` on an array.
    func merge(_ parts: [Int32]) -> [Int32] {
        if parts.count < 2 { return parts }
        var parts = parts
        var count = parts.count
        var ranks = [UInt64](repeating: 0, count: count)
        parts.withUnsafeMutableBufferPointer { p in
            ranks.withUnsafeMutableBufferPointer { r in merge(p.baseAddress!, count: &count, ranks: r.baseAddress!) }
        }
        return Array(parts.prefix(count))
    }
}
