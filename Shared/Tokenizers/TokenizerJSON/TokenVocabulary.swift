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
        var idOfToken: [String: Int] = [:]
        idOfToken.reserveCapacity(pairs.count)
        for (token, id) in pairs { idOfToken[token] = id }
        try self.init(byToken: idOfToken, tokensByID: nil, node: node)
    }

    /// A vocabulary whose token k is `tokens[k]` (Unigram's list); a repeated token finds its
    /// last position.
    init(list: [String], node: ConfigNode) throws {
        var idOfToken: [String: Int] = [:]
        for (id, token) in list.enumerated() { idOfToken[token] = id }
        try self.init(byToken: idOfToken, tokensByID: list, node: node)
    }

    private init(byToken idOfToken: [String: Int], tokensByID: [String]?, node: ConfigNode) throws {
        var map = ByteStringMap(capacity: max(idOfToken.count, 1))
        var byID: [String?]
        if let tokensByID {
            byID = tokensByID
        } else {
            let largest = idOfToken.values.max() ?? -1
            // ids are 0, 1, … with at most a few gaps; a huge one is a damaged file (and would
            // need a huge table)
            guard largest < 16 * idOfToken.count + 1024 else {
                throw node.error("has the id \(largest) among only \(idOfToken.count) tokens", hint: "a vocabulary's ids run 0, 1, 2, …")
            }
            byID = [String?](repeating: nil, count: largest + 1)
            // sorted, so that which token an error names does not depend on hashing order
            for (token, id) in idOfToken.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
                guard id >= 0 else { throw node.error("the token \(token.debugDescription) has the negative id \(id)") }
                if let other = byID[id] {
                    throw node.error("the tokens \(other.debugDescription) and \(token.debugDescription) have the same id \(id)",
                                     hint: "every token needs an id of its own")
                }
                byID[id] = token
            }
        }
        for (token, id) in idOfToken.sorted(by: { $0.value < $1.value }) {
            Array(token.utf8).withUnsafeBufferPointer { map.insert($0, values: [Int32(id)]) }
        }
        tokens = byID
        ids = map
        count = tokensByID?.count ?? idOfToken.count
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
