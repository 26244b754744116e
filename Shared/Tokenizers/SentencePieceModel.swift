// Reading a SentencePiece `.model` file: a protocol-buffer `ModelProto`, decoded by hand.
// Only the fields the unigram encoder needs are read; the rest are skipped.
//
//     ModelProto      1: repeated SentencePiece pieces   2: TrainerSpec   3: NormalizerSpec
//     SentencePiece   1: piece (string)   2: score (float)   3: type (NORMAL 1, UNKNOWN 2,
//                     CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE 6)
//     TrainerSpec     3: model_type (UNIGRAM 1, BPE 2, WORD 3, CHAR 4)   35: byte_fallback
//                     40: unk_id   41: bos_id   42: eos_id   43: pad_id   44: unk_surface
//     NormalizerSpec  1: name   2: precompiled_charsmap   3: add_dummy_prefix
//                     4: remove_extra_whitespaces   5: escape_whitespaces

import Foundation

/// The contents of a SentencePiece model that encoding and decoding use.
public struct SentencePieceModel {
    public enum PieceType: Int { case normal = 1, unknown, control, userDefined, unused, byte }

    public struct Piece: Equatable {
        public let text: String
        public let score: Float
        public let type: PieceType
    }

    public var pieces: [Piece] = []
    public var modelType = 1
    public var unknownID = 0
    public var unknownSurface = " \u{2047} "
    public var byteFallback = false
    public var normalizerName = ""
    public var hasCharsMap = false
    public var addDummyPrefix = true
    public var removeExtraWhitespaces = true
    public var escapeWhitespaces = true

    /// Reads and checks a `.model` file.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TokenizerError(url.path, "cannot be read", hint: "pass a SentencePiece .model file")
        }
        do {
            try parse(Array(data))
        } catch let problem as ProtobufReader.Problem {
            throw TokenizerError(url.path, "is not a valid SentencePiece model: \(problem.message)")
        }
        guard !pieces.isEmpty else { throw TokenizerError(url.path, "has no pieces") }
        guard modelType == 1 else {
            throw TokenizerError(url.path, "is a \(["", "unigram", "BPE", "word", "char"][min(modelType, 4)]) model; the course reads unigram models")
        }
        guard !hasCharsMap else {
            throw TokenizerError(url.path, "uses the normalisation rule \(normalizerName) (a precompiled character map), which the course does not implement",
                                 hint: "train with normalization_rule_name=identity")
        }
        guard unknownID >= 0 && unknownID < pieces.count else {
            throw TokenizerError(url.path, "unk_id \(unknownID) is outside the \(pieces.count) pieces")
        }
    }

    private mutating func parse(_ bytes: [UInt8]) throws {
        var reader = ProtobufReader(bytes)
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, 2): pieces.append(try Self.parsePiece(try reader.lengthDelimited()))
            case (2, 2):
                var trainer = ProtobufReader(try reader.lengthDelimited())
                while let (f, w) = try trainer.nextField() {
                    switch (f, w) {
                    case (3, 0): modelType = Int(try trainer.varint())
                    case (35, 0): byteFallback = try trainer.varint() != 0
                    case (40, 0): unknownID = Int(Int32(truncatingIfNeeded: try trainer.varint()))
                    case (44, 2): unknownSurface = String(decoding: try trainer.lengthDelimited(), as: UTF8.self)
                    default: try trainer.skip(w)
                    }
                }
            case (3, 2):
                var normalizer = ProtobufReader(try reader.lengthDelimited())
                while let (f, w) = try normalizer.nextField() {
                    switch (f, w) {
                    case (1, 2): normalizerName = String(decoding: try normalizer.lengthDelimited(), as: UTF8.self)
                    case (2, 2): hasCharsMap = !(try normalizer.lengthDelimited()).isEmpty
                    case (3, 0): addDummyPrefix = try normalizer.varint() != 0
                    case (4, 0): removeExtraWhitespaces = try normalizer.varint() != 0
                    case (5, 0): escapeWhitespaces = try normalizer.varint() != 0
                    default: try normalizer.skip(w)
                    }
                }
            default: try reader.skip(wire)
            }
        }
    }

    private static func parsePiece(_ bytes: [UInt8]) throws -> Piece {
        var reader = ProtobufReader(bytes)
        var text = "", score: Float = 0, type = PieceType.normal
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, 2): text = String(decoding: try reader.lengthDelimited(), as: UTF8.self)
            case (2, 5): score = Float(bitPattern: try reader.fixed32())
            case (3, 0):
                let raw = Int(try reader.varint())
                guard let t = PieceType(rawValue: raw) else { throw ProtobufReader.Problem(message: "piece \(text.debugDescription) has unknown type \(raw)") }
                type = t
            default: try reader.skip(wire)
            }
        }
        return Piece(text: text, score: score, type: type)
    }
}

/// A minimal protocol-buffer wire-format reader.
struct ProtobufReader {
    struct Problem: Error { let message: String }
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The next field number and wire type, or nil at the end.
    mutating func nextField() throws -> (Int, Int)? {
        if position >= bytes.count { return nil }
        let key = try varint()
        guard key >> 3 > 0 else { throw Problem(message: "field number 0 at byte \(position)") }
        return (Int(key >> 3), Int(key & 7))
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw Problem(message: "a varint runs past the end (byte \(position))") }
            guard shift < 64 else { throw Problem(message: "a varint is longer than 10 bytes (byte \(position))") }
            let b = bytes[position]
            position += 1
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func fixed32() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw Problem(message: "a 32-bit value runs past the end (byte \(position))") }
        defer { position += 4 }
        return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[position + $1]) << (8 * UInt32($1)) }
    }

    mutating func lengthDelimited() throws -> [UInt8] {
        let length = Int(clamping: try varint())
        guard length <= bytes.count - position else {
            throw Problem(message: "a field of \(length) bytes at byte \(position) runs past the end (\(bytes.count) bytes)")
        }
        defer { position += length }
        return Array(bytes[position..<(position + length)])
    }

    mutating func skip(_ wire: Int) throws {
        switch wire {
        case 0: _ = try varint()
        case 1: guard position + 8 <= bytes.count else { throw Problem(message: "a 64-bit value runs past the end") }; position += 8
        case 2: _ = try lengthDelimited()
        case 5: _ = try fixed32()
        default: throw Problem(message: "unknown wire type \(wire) at byte \(position)")
        }
    }
}
