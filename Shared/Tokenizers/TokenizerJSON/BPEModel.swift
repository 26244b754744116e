// Step 3 of a tokenizer.json pipeline, for BPE models (GPT-2, Llama 1–3, Mistral, Qwen2, …):
// the same merge algorithm as GPT-2's tokenizer (MergeTable.swift: start from one token per
// character, merge the adjacent pair learned earliest, until no pair was learned), with the
// options real models use:
// - byte-level (after a ByteLevel pre-tokenizer): the characters are GPT-2's byte characters,
//   so a piece starts from one token per byte;
// - ignore_merges (Llama 3): a piece that is a token as a whole is taken whole, unmerged;
// - byte_fallback (Llama 2, Mistral): a character missing from the vocabulary becomes its UTF-8
//   bytes as the tokens "<0xE6>" "<0x97>" …;
// - unk_token and fuse_unk: otherwise a missing character becomes the unknown token (one per
//   run of them with fuse_unk); with no unknown token it is dropped, as the library does;
// - continuing_subword_prefix / end_of_word_suffix: a marker glued to every character but the
//   first / to the last one (for vocabularies like "##ing" or "ing</w>").
//
// A piece's ids are cached (pieces repeat: tiny Shakespeare's 300,000 are 25,000 different ones).

// MARK: - Model

/// A BPE model read from a tokenizer.json's "model" (`"type": "BPE"`).
final class BPEModel: TokenizerModel {
    let vocabulary: TokenVocabulary
    let merges: MergeTable
    let unknownID: Int?
    let fuseUnknown: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    let prefix: [UInt8]?
    let suffix: [UInt8]?
    /// The id of each byte's character when the vocabulary is byte-level (-1 if missing).
    private let byteIDs: [Int32]
    /// The id of "<0xXX>" for each byte (-1 if missing), for byte_fallback.
    private let fallbackIDs: [Int32]
    /// For byte-level pieces: the raw bytes of every token written in byte characters → id
    /// (ignore_merges looks a whole piece up here).
    private let rawVocabulary: ByteStringMap
    /// Pieces encoded before, for text pieces and for byte-level pieces.
    private var textCache = ByteStringMap(capacity: 1 << 16)
    private var byteCache = ByteStringMap(capacity: 1 << 17)

    init(_ node: ConfigNode) throws {
        if let dropout = try node.optionalChild("dropout"), let p = dropout.value.numberValue, p != 0 {
            throw node.unsupported("dropout", "\(p)", "BPE dropout samples a different tokenization each time")
        }
        let vocabNode = try node.child("vocab")
        let pairs = try vocabNode.integerMembers()
        let vocabulary = try TokenVocabulary(pairs, node: vocabNode)
        self.vocabulary = vocabulary
        fuseUnknown = try node.bool("fuse_unk", default: false)
        byteFallback = try node.bool("byte_fallback", default: false)
        ignoreMerges = try node.bool("ignore_merges", default: false)
        prefix = try node.optionalString("continuing_subword_prefix").map { Array($0.utf8) }
        suffix = try node.optionalString("end_of_word_suffix").map { Array($0.utf8) }
        if let unk = try node.optionalString("unk_token") {
            // the library complains only when it needs the unknown token; so does this reader
            unknownID = vocabulary.id(of: unk) ?? -1
        } else {
            unknownID = nil
        }
        merges = try Self.readMerges(try node.child("merges"), vocabulary: vocabulary, prefixLength: prefix?.count ?? 0)
        byteIDs = (0..<256).map { b in Int32(vocabulary.id(of: String(ByteToUnicode.characterOfByte[b])) ?? -1) }
        fallbackIDs = (0..<256).map { b in Int32(vocabulary.id(of: SentencePieceModel.piece(ofByte: UInt8(b))) ?? -1) }
        var raw = ByteStringMap(capacity: max(vocabulary.count, 1))
        for (id, token) in vocabulary.tokens.enumerated() {
            guard let token, let bytes = ByteToUnicode.bytes(of: token) else { continue }
            bytes.withUnsafeBufferPointer { if raw.lookup($0) == nil { raw.insert($0, values: [Int32(id)]) } }
        }
        rawVocabulary = raw
        supportsRawBytes = prefix == nil && suffix == nil && !byteFallback && !byteIDs.contains(-1)
    }

    /// Reads "merges": pairs ["a", "b"] or, in older files, strings "a b". Merge k has rank k;
    /// a pair listed twice keeps its last rank (the library collects them into a hash map).
    static func readMerges(_ node: ConfigNode, vocabulary: TokenVocabulary, prefixLength: Int) throws -> MergeTable {
        guard case .array(let items) = node.value else { throw node.error("should be an array, not \(node.value.kind)") }
        var parsed: [(String, String)] = []
        parsed.reserveCapacity(items.count)
        for (k, item) in items.enumerated() {
            if let pair = item.arrayValue, pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue {
                parsed.append((a, b))
            } else if let line = item.stringValue {
                // split at the space character (not Character: " " and a combining mark are one)
                let parts = line.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw node.error("merge \(k) \(line.debugDescription) is not two tokens separated by one space")
                }
                parsed.append((String(String.UnicodeScalarView(parts[0])), String(String.UnicodeScalarView(parts[1]))))
            } else {
                throw node.error("merge \(k) should be a pair of strings [\"a\", \"b\"] or a string \"a b\"")
            }
        }
        var table = MergeTable(capacity: parsed.count)
        var merged: [UInt8] = []
        for (rank, (a, b)) in parsed.enumerated().reversed() {      // reversed: the last listing wins
            func id(_ bytes: [UInt8]) throws -> Int {
                guard let id = bytes.withUnsafeBufferPointer({ vocabulary.id(ofBytes: $0) }) else {
                    throw node.error("merge \(rank) uses the token \(String(decoding: bytes, as: UTF8.self).debugDescription), which is not in the vocabulary")
                }
                return id
            }
            let first = Array(a.utf8), second = Array(b.utf8)
            merged.removeAll(keepingCapacity: true)
            merged += first
            merged += second.dropFirst(min(prefixLength, second.count))
            table.insert(first: try id(first), second: try id(second), rank: rank, merged: try id(merged))
        }
        return table
    }

    // MARK: - Tokenizing

    func tokenize(_ piece: UnsafeBufferPointer<UInt8>, into ids: inout [Int]) throws {
        guard !piece.isEmpty else { return }
        if ignoreMerges, let id = vocabulary.id(ofBytes: piece) {
            ids.append(id)
            return
        }
        if let cached = textCache.lookup(piece) {
            textCache.values.withUnsafeBufferPointer { values in for k in cached { ids.append(Int(values[k])) } }
            return
        }
        var parts = try initialSymbols(piece)
        parts = merges.merge(parts)
        if textCache.isFull { textCache.removeAll() }
        textCache.insert(piece, values: parts)
        for id in parts { ids.append(Int(id)) }
    }

    /// One token per character (with prefix and suffix), missing characters handled as the
    /// library's `merge_word` does.
    private func initialSymbols(_ piece: UnsafeBufferPointer<UInt8>) throws -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(piece.count)
        var pendingUnknown = false
        var text: [UInt8] = []
        var i = 0
        while i < piece.count {
            let length = min(SentencePieceTokenizer.utf8Length(leadByte: piece[i]), piece.count - i)
            text.removeAll(keepingCapacity: true)
            if i > 0, let prefix { text += prefix }
            text += piece[i..<(i + length)]
            if i + length == piece.count, let suffix { text += suffix }
            i += length
            if let id = text.withUnsafeBufferPointer({ vocabulary.id(ofBytes: $0) }) {
                if pendingUnknown, let unknownID { symbols.append(Int32(unknownID)); pendingUnknown = false }
                symbols.append(Int32(id))
                continue
            }
            if byteFallback && text.allSatisfy({ fallbackIDs[Int($0)] >= 0 }) {
                for b in text { symbols.append(fallbackIDs[Int(b)]) }       // (a pending unknown stays pending)
                continue
            }
            guard let unknownID else { continue }                           // no unknown token: dropped
            guard unknownID >= 0 else {
                throw TokenizerError("input", "a character is not in the vocabulary and the unknown token is not either",
                                     hint: "the model's unk_token must be one of its tokens")
            }
            if pendingUnknown && !fuseUnknown { symbols.append(Int32(unknownID)) }
            pendingUnknown = true
        }
        if pendingUnknown, let unknownID { symbols.append(Int32(unknownID)) }
        return symbols
    }

    /// Whether byte-level pieces can start from their bytes' ids directly: no markers, no byte
    /// fallback, and every byte's character in the vocabulary (true of GPT-2, Llama 3, Qwen2).
    let supportsRawBytes: Bool

    func tokenizeByteLevel(_ raw: UnsafeBufferPointer<UInt8>, into ids: inout [Int]) throws {
        if supportsRawBytes {
            tokenizeRawBytes(raw, into: &ids)
            return
        }
        // the general path handles markers and missing byte characters
        var text: [UInt8] = []
        for b in raw { text += ByteLevelTables.utf8OfByte[Int(b)] }
        try text.withUnsafeBufferPointer { try tokenize($0, into: &ids) }
    }

    /// A byte-level piece from its bytes' ids, merged; only when `supportsRawBytes`.
    func tokenizeRawBytes(_ raw: UnsafeBufferPointer<UInt8>, into ids: inout [Int]) {
        guard !raw.isEmpty else { return }
        if ignoreMerges, let id = rawVocabulary.first(raw) {
            ids.append(Int(id))
            return
        }
        if raw.count == 1 {
            ids.append(Int(byteIDs[Int(raw[0])]))
            return
        }
        if let cached = byteCache.lookup(raw) {
            byteCache.values.withUnsafeBufferPointer { values in for k in cached { ids.append(Int(values[k])) } }
            return
        }
        byteIDs.withUnsafeBufferPointer { byteIDs in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: raw.count) { parts in
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: raw.count) { ranks in
                    for (k, b) in raw.enumerated() { parts[k] = byteIDs[Int(b)] }
                    var count = raw.count
                    merges.merge(parts.baseAddress!, count: &count, ranks: ranks.baseAddress!)
                    let merged = UnsafeBufferPointer(rebasing: parts[0..<count])
                    for id in merged { ids.append(Int(id)) }
                    if byteCache.isFull { byteCache.removeAll() }
                    byteCache.insert(raw, values: merged)
                }
            }
        }
    }
}
