// A minimal reader of the protocol-buffer wire format, enough for a SentencePiece `.model`.
//
// A message is a sequence of fields. Each starts with a key, a varint holding
// (field number << 3) | wire type, followed by the value:
//
//     wire type 0  varint: 7 bits per byte, low bits first; the top bit says "more follows"
//     wire type 1  8 bytes, little-endian (a double or 64-bit integer)
//     wire type 2  a varint length, then that many bytes (a string, bytes, or a nested message)
//     wire type 5  4 bytes, little-endian (a float or 32-bit integer)
//
// Fields a reader does not know are skipped by their wire type, which is what lets old readers
// read new files. Example: the bytes 0A 03 61 62 63 are field 1, wire type 2, length 3, "abc".

/// Reads protocol-buffer fields from bytes, one at a time, checking every length.
///
///     var reader = ProtobufReader([0x0A, 0x03, 0x61, 0x62, 0x63, 0x10, 0x96, 0x01])
///     try reader.nextField()          // (1, .lengthDelimited)
///     try reader.lengthDelimited()    // [0x61, 0x62, 0x63] ("abc")
///     try reader.nextField()          // (2, .varint)
///     try reader.varint()             // 150
///     try reader.nextField()          // nil: the end
struct ProtobufReader {
    /// What is wrong with the bytes, as a sentence fragment naming the byte offset.
    struct Malformed: Error { let problem: String }

    enum WireType: Int {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    private let bytes: ArraySlice<UInt8>
    /// Where the next read starts. Positions are indices into the whole file's bytes, also
    /// for a nested message (read from a slice), so errors give offsets in the file.
    private(set) var position: Int
    /// Where this message ends.
    private let end: Int
    /// Where the field last returned by `nextField` starts (its key).
    private(set) var fieldStart: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
        end = bytes.endIndex
        fieldStart = bytes.startIndex
    }

    init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    var isAtEnd: Bool { position >= end }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws -> (number: Int, wire: WireType)? {
        if isAtEnd { return nil }
        let at = position
        fieldStart = position
        let key = try varint()
        guard let wire = WireType(rawValue: Int(key & 7)) else {
            throw Malformed(problem: "byte \(at): a field key has the wire type \(key & 7), which does not exist")
        }
        guard key >> 3 > 0, key >> 3 <= UInt64(Int32.max) else {
            throw Malformed(problem: "byte \(at): a field key has the field number \(key >> 3), which is not allowed")
        }
        return (Int(key >> 3), wire)
    }

    /// A varint: at most 10 bytes, the last without its top bit.
    mutating func varint() throws -> UInt64 {
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else {
                throw Malformed(problem: "byte \(start): a varint runs past the end of the data (\(end) bytes)")
            }
            guard shift < 64 else {
                throw Malformed(problem: "byte \(start): a varint is longer than 10 bytes")
            }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// Four little-endian bytes (a `float` is their bit pattern).
    mutating func fixed32() throws -> UInt32 {
        guard end - position >= 4 else {
            throw Malformed(problem: "byte \(position): a 4-byte value runs past the end of the data (\(end) bytes)")
        }
        var value: UInt32 = 0
        for k in 0..<4 { value |= UInt32(bytes[position + k]) << (8 * UInt32(k)) }
        position += 4
        return value
    }

    /// A length, then that many bytes (a string, bytes, or a nested message).
    mutating func lengthDelimited() throws -> ArraySlice<UInt8> {
        let start = position
        let length = try varint()
        guard length <= UInt64(end - position) else {
            throw Malformed(problem: "byte \(start): a field of \(length) bytes runs past the end of the data (\(end - position) bytes left)")
        }
        let value = bytes[position..<(position + Int(length))]
        position += Int(length)
        return value
    }

    /// A UTF-8 string field.
    mutating func string(_ what: String) throws -> String {
        let start = position
        let raw = try lengthDelimited()
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw Malformed(problem: "byte \(start): \(what) is not valid UTF-8")
        }
        return text
    }

    /// Skips a value of the given wire type (a field this reader does not use).
    mutating func skip(_ wire: WireType) throws {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64:
            guard end - position >= 8 else {
                throw Malformed(problem: "byte \(position): an 8-byte value runs past the end of the data (\(end) bytes)")
            }
            position += 8
        case .lengthDelimited: _ = try lengthDelimited()
        case .fixed32: _ = try fixed32()
        case .startGroup, .endGroup:
            throw Malformed(problem: "byte \(position): a group field (wire type 3 or 4), which SentencePiece models never use")
        }
    }

    /// Checks that a field has the wire type its declaration implies.
    func expect(_ wire: WireType, _ expected: WireType, field: String) throws {
        guard wire == expected else {
            throw Malformed(problem: "byte \(fieldStart): \(field) has wire type \(wire.rawValue), expected \(expected.rawValue)")
        }
    }
}
