// A model's vocabulary as a tokenizer.json gives it: token ↔ id, both ways. BPE and WordPiece
// write it as an object {"token": id}; Unigram as a list of [token, score] whose positions are
// the ids. Looking a token up by its UTF-8 bytes (ByteStringMap) lets the models work on bytes.

// MARK: - Vocabulary

/// Tokens and ids, checked: ids are not negative, and no id belongs to two tokens.
///
///     let v = try TokenVocabulary(["a": 0, "b": 1, "ab": 2].sorted { $0.value < $1.value }, node: node)
///     v.id(of: "ab")      // 2
///     v.token(of: 1)      // "b"
struct TokenVocabulary {
    /// Each id's token (nil for an id no token has).
    let tokens: [String?]
    /// Token bytes → id.
    private let ids: ByteStringMap
    /// How many tokens there are (the library's vocabulary size, without added tokens).
    let count: Int

    /// A vocabulary of (token, id) pairs. For a token listed twice, the last id counts (as the
    /// library reads a JSON object); `node` names the file and place in errors.
    init(_ pairs: [(token: String, id: Int)], node: ConfigNode) throws {
        // the last listing of each token, found from the end (no String hashing: the byte map)
        var seen = ByteStringMap(capacity: max(pairs.count, 1))
        var kept = [Bool](repeating: false, count: pairs.count)
        var largest = -1, count = 0
        for (k, (token, id)) in pairs.enumerated().reversed() {
            var token = token
            token.withUTF8 { bytes in
                guard seen.lookup(bytes) == nil else { return }
                seen.insert(bytes, values: [Int32(truncatingIfNeeded: id)])
                kept[k] = true
                count += 1
                largest = max(largest, id)
            }
        }
        // ids are 0, 1, … with at most a few gaps; a huge one is a damaged file (and would need a huge table)
        guard largest < 16 * count + 1024 else {
            throw node.error("has the id \(largest) among only \(count) tokens", hint: "a vocabulary's ids run 0, 1, 2, …")
        }
        var byID = [String?](repeating: nil, count: largest + 1)
        for (k, (token, id)) in pairs.enumerated() where kept[k] {       // file order: the same error every time
            guard id >= 0 else { throw node.error("the token \(token.debugDescription) has the negative id \(id)") }
            if let other = byID[id] {
                throw node.error("the tokens \(other.debugDescription) and \(token.debugDescription) have the same id \(id)",
                                 hint: "every token needs an id of its own")
            }
            byID[id] = token
        }
        tokens = byID
        ids = seen
        self.count = count
    }

    /// A vocabulary whose token k is `tokens[k]` (Unigram's list); a repeated token finds its
    /// last position.
    init(list: [String], node: ConfigNode) throws {
        self.init(tokensByID: list, count: list.count)
    }

    /// The vocabulary of `tokensByID`; where a token appears twice, the later id is found.
    private init(tokensByID: [String?], count: Int) {
        var map = ByteStringMap(capacity: max(count, 1))
        for (id, token) in tokensByID.enumerated().reversed() {
            guard var token else { continue }
            token.withUTF8 { if map.lookup($0) == nil { map.insert($0, values: [Int32(id)]) } }
        }
        tokens = tokensByID
        ids = map
        self.count = count
    }

    /// The id of a token, or nil.
    func id(of token: String) -> Int? {
        var token = token
        return token.withUTF8 { id(ofBytes: $0) }
    }

    /// The id of a token given as UTF-8 bytes, or nil.
    @inline(__always) func id(ofBytes bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        ids.first(bytes).map(Int.init)
    }

    /// The token of an id, or nil.
    func token(of id: Int) -> String? {
        id >= 0 && id < tokens.count ? tokens[id] : nil
    }

    /// One past the largest id.
    var idLimit: Int { tokens.count }
}

// MARK: - Model

/// The model of a tokenizer.json: turns one pre-token into ids.
protocol TokenizerModel: AnyObject {
    var vocabulary: TokenVocabulary { get }
    /// Appends the ids of one piece (UTF-8); throws where the library would (an unknown
    /// character with no unknown token to stand for it, in WordPiece and Unigram).
    func tokenize(_ piece: UnsafeBufferPointer<UInt8>, into ids: inout [Int]) throws
    /// The same for a piece whose bytes stand for GPT-2's byte characters (see PreToken).
    func tokenizeByteLevel(_ raw: UnsafeBufferPointer<UInt8>, into ids: inout [Int]) throws
}

extension TokenizerModel {
    /// Writes the byte characters out, then tokenizes the text.
    func tokenizeByteLevel(_ raw: UnsafeBufferPointer<UInt8>, into ids: inout [Int]) throws {
        var text: [UInt8] = []
        text.reserveCapacity(raw.count * 2)
        for b in raw { text += ByteLevelTables.utf8OfByte[Int(b)] }
        try text.withUnsafeBufferPointer { try tokenize($0, into: &ids) }
    }
}

/// The model types this reader implements.
enum ModelFactory {
    static let supported = ["BPE", "WordPiece", "Unigram"]

    static func make(_ node: ConfigNode) throws -> TokenizerModel {
        switch try node.type(of: "model", supported: supported) {
        case "BPE": return try BPEModel(node)
        case "WordPiece": return try WordPieceModel(node)
        default: return try UnigramModel(node)
        }
    }
}
