// A SentencePiece `.model` file: a protocol-buffer `ModelProto`, decoded by hand
// (SentencePieceProtobuf.swift). Only the fields encoding and decoding need are kept; the
// rest (training options, self-test data) are skipped. Field numbers, from sentencepiece's
// `sentencepiece_model.proto`:
//
//     ModelProto       1: repeated SentencePiece pieces   2: TrainerSpec trainer_spec
//                      3: NormalizerSpec normalizer_spec   5: NormalizerSpec denormalizer_spec
//     SentencePiece    1: string piece   2: float score   3: Type type (NORMAL 1, UNKNOWN 2,
//                      CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE 6)
//     TrainerSpec      3: model_type (UNIGRAM 1, BPE 2, WORD 3, CHAR 4)
//                      24: treat_whitespace_as_suffix   35: byte_fallback
//                      40: unk_id   41: bos_id   42: eos_id   43: pad_id   44: unk_surface
//     NormalizerSpec   1: name   2: precompiled_charsmap   3: add_dummy_prefix
//                      4: remove_extra_whitespaces   5: escape_whitespaces
//
// Normalisation rules other than "identity" (such as the default "nmt_nfkc") are stored as a
// compiled character map (precompiled_charsmap) that would need a double-array trie reader;
// the course's model is trained with normalization_rule_name=identity, whose map is empty,
// so a model with a non-empty map is refused with an error rather than encoded wrongly.

import Foundation

/// What a SentencePiece `.model` file holds that encoding and decoding use, checked as the
/// `sentencepiece` library checks it when it loads a model.
///
///     let model = try SentencePieceModel(contentsOf: URL(fileURLWithPath: "unigram.model"))
///     model.pieces.count          // 1000
///     model.pieces[5]             // Piece(text: "▁", score: -3.4461, type: .normal)
///     model.unknownID             // 0 (the piece "<unk>")
public struct SentencePieceModel: Equatable {
    /// The kinds of piece.
    public enum PieceType: Int, Equatable {
        /// An ordinary piece, chosen by its score.
        case normal = 1
        /// `<unk>`, the id of what no piece covers.
        case unknown = 2
        /// A control symbol (`<s>`, `</s>`): never produced from text, decoded as nothing.
        case control = 3
        /// A symbol the user asked for: always kept whole when it appears in the text.
        case userDefined = 4
        /// In the vocabulary but never produced by encoding.
        case unused = 5
        /// `<0x41>`: one byte of an unknown character, when byte fallback is on.
        case byte = 6
    }

    /// One vocabulary entry; its id is its index in `pieces`.
    public struct Piece: Equatable {
        public let text: String
        /// The log-probability of the piece under the unigram model.
        public let score: Float
        public let type: PieceType

        public init(text: String, score: Float, type: PieceType) {
            self.text = text
            self.score = score
            self.type = type
        }
    }

    public private(set) var pieces: [Piece] = []

    // TrainerSpec
    /// 1 unigram, 2 BPE, 3 word, 4 char: only unigram models are accepted.
    public private(set) var modelType = 1
    /// The id of the piece of type `.unknown` (the library looks the type up, not `unk_id`).
    public private(set) var unknownID = -1
    /// What `decode` writes for `<unk>`: " ⁇ " unless the model says otherwise.
    public private(set) var unknownSurface = " \u{2047} "
    /// Unknown characters become their UTF-8 bytes (`<0xE6>` …) instead of `<unk>`.
    public private(set) var byteFallback = false
    /// Put the "▁" after words rather than before them.
    public private(set) var treatWhitespaceAsSuffix = false

    // NormalizerSpec
    /// The normalisation rule's name ("identity", "nmt_nfkc", …).
    public private(set) var normalizerName = ""
    /// Put a "▁" in front of the text, so that the first word looks like every other.
    public private(set) var addDummyPrefix = true
    /// Drop leading and trailing spaces and squeeze runs of spaces into one.
    public private(set) var removeExtraWhitespaces = true
    /// Write spaces as "▁" (U+2581).
    public private(set) var escapeWhitespaces = true

    /// Reads and checks a `.model` file.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TokenizerError(url.path, "cannot be read (no such file, or no permission)",
                                 hint: "pass a SentencePiece .model file (what SentencePieceTrainer writes)")
        }
        try self.init(bytes: Array(data), source: url.path)
    }

    /// Decodes and checks the bytes of a `.model` file; `source` names it in errors.
    public init(bytes: [UInt8], source: String = "model") throws {
        var charsMapSize = 0, denormalizerCharsMapSize = 0
        do {
            var reader = ProtobufReader(bytes)
            while let (field, wire) = try reader.nextField() {
                switch field {
                case 1:
                    try reader.expect(wire, .lengthDelimited, field: "ModelProto.pieces (field 1)")
                    pieces.append(try Self.readPiece(try reader.lengthDelimited(), number: pieces.count))
                case 2:
                    try reader.expect(wire, .lengthDelimited, field: "ModelProto.trainer_spec (field 2)")
                    try readTrainerSpec(try reader.lengthDelimited())
                case 3:
                    try reader.expect(wire, .lengthDelimited, field: "ModelProto.normalizer_spec (field 3)")
                    charsMapSize = try readNormalizerSpec(try reader.lengthDelimited(), apply: true)
                case 5:
                    try reader.expect(wire, .lengthDelimited, field: "ModelProto.denormalizer_spec (field 5)")
                    denormalizerCharsMapSize = try readNormalizerSpec(try reader.lengthDelimited(), apply: false)
                default:
                    try reader.skip(wire)
                }
            }
        } catch let error as ProtobufReader.Malformed {
            throw TokenizerError(source, "is not a valid SentencePiece model: \(error.problem)",
                                 hint: "the file may be truncated or not a .model file; train or download it again")
        }
        try check(source: source, charsMapSize: charsMapSize, denormalizerCharsMapSize: denormalizerCharsMapSize)
    }

    // MARK: - Reading the messages

    private static func readPiece(_ bytes: ArraySlice<UInt8>, number: Int) throws -> Piece {
        var reader = ProtobufReader(bytes)
        var text = "", score: Float = 0, type = PieceType.normal
        while let (field, wire) = try reader.nextField() {
            switch field {
            case 1:
                try reader.expect(wire, .lengthDelimited, field: "piece \(number)'s text (field 1)")
                text = try reader.string("piece \(number)'s text")
            case 2:
                try reader.expect(wire, .fixed32, field: "piece \(number)'s score (field 2)")
                score = Float(bitPattern: try reader.fixed32())
            case 3:
                try reader.expect(wire, .varint, field: "piece \(number)'s type (field 3)")
                let raw = try reader.varint()
                guard let t = PieceType(rawValue: Int(truncatingIfNeeded: raw)), raw <= 6 else {
                    throw ProtobufReader.Malformed(problem: "piece \(number) has the type \(raw), which does not exist (1…6)")
                }
                type = t
            default:
                try reader.skip(wire)
            }
        }
        return Piece(text: text, score: score, type: type)
    }

    private mutating func readTrainerSpec(_ bytes: ArraySlice<UInt8>) throws {
        var reader = ProtobufReader(bytes)
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (3, .varint): modelType = Int(Int32(truncatingIfNeeded: try reader.varint()))
            case (24, .varint): treatWhitespaceAsSuffix = try reader.varint() != 0
            case (35, .varint): byteFallback = try reader.varint() != 0
            case (44, .lengthDelimited): unknownSurface = try reader.string("trainer_spec.unk_surface")
            default: try reader.skip(wire)
            }
        }
    }

    /// Reads a normaliser spec; returns the size of its character map.
    private mutating func readNormalizerSpec(_ bytes: ArraySlice<UInt8>, apply: Bool) throws -> Int {
        var reader = ProtobufReader(bytes)
        var charsMapSize = 0
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, .lengthDelimited):
                let name = try reader.string("normalizer_spec.name")
                if apply { normalizerName = name }
            case (2, .lengthDelimited): charsMapSize = try reader.lengthDelimited().count
            case (3, .varint): let v = try reader.varint() != 0; if apply { addDummyPrefix = v }
            case (4, .varint): let v = try reader.varint() != 0; if apply { removeExtraWhitespaces = v }
            case (5, .varint): let v = try reader.varint() != 0; if apply { escapeWhitespaces = v }
            default: try reader.skip(wire)
            }
        }
        return charsMapSize
    }

    // MARK: - Checking

    /// The checks the library makes when it loads a model, plus what this reader cannot do.
    private mutating func check(source: String, charsMapSize: Int, denormalizerCharsMapSize: Int) throws {
        guard !pieces.isEmpty else {
            throw TokenizerError(source, "has no pieces", hint: "a SentencePiece model lists its vocabulary in field 1; is this a .model file?")
        }
        guard modelType == 1 else {
            let name = [2: "BPE", 3: "word", 4: "char"][modelType] ?? "type \(modelType)"
            throw TokenizerError(source, "is a \(name) model; this reader encodes unigram models only",
                                 hint: "train with model_type=unigram")
        }
        guard charsMapSize == 0 && denormalizerCharsMapSize == 0 else {
            throw TokenizerError(source, "uses the normalisation rule \"\(normalizerName)\" (a compiled character map of \(max(charsMapSize, denormalizerCharsMapSize)) bytes), which this reader does not implement",
                                 hint: "train with normalization_rule_name=identity")
        }
        var seen: [String: Int] = [:]
        var bytesFound = Set<Int>()
        unknownID = -1
        for (id, piece) in pieces.enumerated() {
            guard !piece.text.isEmpty else { throw TokenizerError(source, "piece \(id) is empty") }
            // The library keeps two tables: normal, user-defined and unused pieces; the others.
            let table = [.normal, .userDefined, .unused].contains(piece.type) ? "" : "reserved:"
            if let first = seen[table + piece.text] {
                throw TokenizerError(source, "piece \(id) \(piece.text.debugDescription) repeats piece \(first)")
            }
            seen[table + piece.text] = id
            switch piece.type {
            case .unknown:
                guard unknownID < 0 else { throw TokenizerError(source, "has two unknown pieces, \(unknownID) and \(id)") }
                unknownID = id
            case .byte:
                guard byteFallback else {
                    throw TokenizerError(source, "has the byte piece \(piece.text) although byte_fallback is off")
                }
                guard let byte = Self.byte(ofPiece: piece.text) else {
                    throw TokenizerError(source, "piece \(id) is of type byte but \(piece.text.debugDescription) is not <0x00>…<0xFF>")
                }
                bytesFound.insert(Int(byte))
            default:
                break
            }
        }
        guard unknownID >= 0 else {
            throw TokenizerError(source, "has no unknown piece (type UNKNOWN, usually \"<unk>\")")
        }
        if byteFallback && bytesFound.count != 256 {
            throw TokenizerError(source, "has byte_fallback on but \(bytesFound.count) byte pieces instead of 256")
        }
    }

    /// The byte of a byte piece "<0x4A>" (two upper-case hex digits, as the library writes them).
    static func byte(ofPiece text: String) -> UInt8? {
        let u = Array(text.utf8)
        guard u.count == 6, text.hasPrefix("<0x"), text.hasSuffix(">") else { return nil }
        return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }

    /// The byte piece of `byte`: 0x4A → "<0x4A>".
    static func piece(ofByte byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" : "") + hex + ">"
    }
}
