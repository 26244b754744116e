// A trie of the SentencePiece vocabulary over UTF-8 bytes: from any position of the text, one
// walk finds every piece that starts there (the library uses a double-array trie; this one
// keeps each node's children in a dictionary, simpler and fast enough).

/// Every piece of a vocabulary that is a prefix of some bytes, found in one walk.
///
///     let trie = SentencePieceTrie(["a": 0, "ab": 1, "b": 2])
///     trie.forEachPrefix(of: Array("abc".utf8)[...]) { length, id in print(length, id) }
///     // 1 0
///     // 2 1
struct SentencePieceTrie {
    /// child node of (node, byte), keyed by node * 256 + byte; the root is node 0.
    private var children: [Int: Int32] = [:]
    /// The piece id that ends at each node, or -1.
    private var value: [Int32] = [-1]

    init(_ pieces: [String: Int]) {
        // insert in a fixed order, so that the node numbering does not depend on hashing
        for (text, id) in pieces.sorted(by: { $0.value < $1.value }) {
            var node = 0
            for byte in text.utf8 {
                let key = node << 8 | Int(byte)
                if let next = children[key] {
                    node = Int(next)
                } else {
                    value.append(-1)
                    children[key] = Int32(value.count - 1)
                    node = value.count - 1
                }
            }
            value[node] = Int32(id)
        }
    }

    /// Calls `body(length, id)` for each piece that `bytes` starts with, shortest first.
    @inline(__always)
    func forEachPrefix(of bytes: ArraySlice<UInt8>, _ body: (Int, Int) -> Void) {
        var node = 0
        var length = 0
        for byte in bytes {
            guard let next = children[node << 8 | Int(byte)] else { return }
            node = Int(next)
            length += 1
            if value[node] >= 0 { body(length, Int(value[node])) }
        }
    }

    /// The length of the longest piece that `bytes` starts with, or nil.
    func longestPrefix(of bytes: ArraySlice<UInt8>) -> Int? {
        var longest: Int?
        forEachPrefix(of: bytes) { length, _ in longest = length }
        return longest
    }
}
