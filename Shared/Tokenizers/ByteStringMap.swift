// A hash table from byte strings to runs of token ids, in flat arrays. GPT-2's tokenizer uses
// it twice:
// - as its cache of encoded chunks: text repeats its words (tiny Shakespeare's 300,000 chunks
//   are only 25,000 different ones), so most chunks are looked up instead of byte-pair encoded;
// - while loading, to find a token's id from its text in the merges file.

// MARK: - Byte-string map

/// Byte strings → runs of Int32 values, with an open-addressing index and no allocation per
/// entry (keys and values live one after another in two arrays).
///
///     var map = ByteStringMap(capacity: 100)
///     let hello = Array("hello".utf8)
///     hello.withUnsafeBufferPointer { map.insert($0, values: [31373]) }
///     hello.withUnsafeBufferPointer { map.lookup($0) }.map { Array(map.values[$0]) }   // [31373]
struct ByteStringMap {
    private struct Entry {
        var hash: UInt64
        var keyStart: Int, keyCount: Int
        var valueStart: Int32, valueCount: Int32
    }

    /// Entry number + 1 for each slot of the index; 0 is an empty slot.
    private var index: [Int32]
    private let indexBits: Int
    private var entries: [Entry] = []
    /// The keys of every entry, one after another.
    private var keys: [UInt8] = []
    /// The values of every entry, one after another.
    private(set) var values: [Int32] = []

    /// How many entries the map can hold (its index is kept at most half full).
    let capacity: Int
    var count: Int { entries.count }
    var isFull: Bool { entries.count >= capacity }

    init(capacity: Int) {
        var bits = 4
        while (1 << bits) < 2 * capacity { bits += 1 }
        indexBits = bits
        index = [Int32](repeating: 0, count: 1 << bits)
        self.capacity = capacity
    }

    /// FNV-1a, 64 bits: simple, and good enough for short keys.
    @inline(__always) static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    @inline(__always) private func slot(_ hash: UInt64) -> Int {
        Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - indexBits))
    }

    /// The range in `values` of the key's values, or nil if the key is not in the map.
    @inline(__always) func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let hash = Self.hash(key)
        let mask = index.count - 1
        var k = slot(hash)
        while true {
            let e = Int(index[k]) - 1
            if e < 0 { return nil }
            let entry = entries[e]
            if entry.hash == hash && entry.keyCount == key.count && sameKey(entry, key) {
                return Int(entry.valueStart)..<Int(entry.valueStart + entry.valueCount)
            }
            k = (k + 1) & mask
        }
    }

    /// The first value of the key, or nil.
    @inline(__always) func first(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        lookup(key).map { values[$0.lowerBound] }
    }

    @inline(__always) private func sameKey(_ entry: Entry, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        keys.withUnsafeBufferPointer { stored in
            var i = 0, j = entry.keyStart
            while i < key.count {
                if stored[j] != key[i] { return false }
                i += 1; j += 1
            }
            return true
        }
    }

    /// Adds a key that is not in the map yet (the map must not be full).
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, values newValues: UnsafeBufferPointer<Int32>) {
        precondition(!isFull, "ByteStringMap.insert: the map is full (\(capacity) entries)")
        let hash = Self.hash(key)
        var k = slot(hash)
        while index[k] != 0 { k = (k + 1) & (index.count - 1) }
        entries.append(Entry(hash: hash, keyStart: keys.count, keyCount: key.count,
                             valueStart: Int32(values.count), valueCount: Int32(newValues.count)))
        index[k] = Int32(entries.count)
        keys.append(contentsOf: key)
        values.append(contentsOf: newValues)
    }

    /// `insert` for arrays.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, values newValues: [Int32]) {
        newValues.withUnsafeBufferPointer { insert(key, values: $0) }
    }

    /// Forgets every entry (keeping the memory).
    mutating func removeAll() {
        for k in index.indices { index[k] = 0 }
        entries.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }
}
