// Any JSON document, read into a tree: what a tokenizer.json (and the small config files of a
// model directory) is parsed into before its parts are checked one by one.
//
// Objects keep their members in file order (an array of pairs), so nothing downstream depends
// on hashing order; integers and other numbers are kept apart so an id is never a rounded
// float. Foundation's JSONSerialization would do, but it builds an NSString and an NSNumber per
// value (slow for a 50,000-entry vocabulary) and, on Linux, drops a U+FEFF at the start of a
// string. The primitive reads are JSONScanner's.

// MARK: - Values

/// A parsed JSON value.
///
///     let value = try JSONValue.parse(Array(#"{"a": [1, 2.5, "x"], "b": null}"#.utf8))
///     value["a"]?[0]?.integer          // 1
///     value["a"]?[1]?.number           // 2.5
///     value["b"]?.isNull               // true
///     value.objectMembers?.map(\.key)  // ["a", "b"]: file order
indirect enum JSONValue: Equatable {
    case null
    case bool(Bool)
    /// A number written without a fraction or an exponent (and within Int's range).
    case integer(Int)
    /// Any other number.
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in file order; a repeated key is kept twice (lookups find the last, as serde does).
    case object([(key: String, value: JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.integer(x), .integer(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    var isNull: Bool { if case .null = self { return true } else { return false } }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var integer: Int? { if case .integer(let i) = self { return i } else { return nil } }
    var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    var objectMembers: [(key: String, value: JSONValue)]? { if case .object(let m) = self { return m } else { return nil } }

    /// Any number as a Double (an integer converted).
    var number: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    /// The value of `key` in an object (the last member of that name), or nil.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// Element `index` of an array, or nil.
    subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    /// The kind of value, for messages ("an object", "a string", …).
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

// MARK: - Parsing

extension JSONValue {
    /// How deep arrays and objects may nest: deeper input is refused rather than overflowing
    /// the stack (a tokenizer.json nests about 6 levels).
    static let maximumDepth = 256

    /// Parses a complete JSON document (UTF-8; a byte-order mark at the start is skipped).
    /// Throws `JSONScanner.Failure` with the byte offset of the first problem.
    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        if let bad = firstInvalidUTF8(bytes) {
            throw JSONScanner.Failure(message: "the file is not UTF-8 text", offset: bad)
        }
        return try bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(scanner: JSONScanner(buffer))
            if buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF {
                parser.scanner.position = 3
            }
            let value = try parser.value(depth: 0)
            parser.scanner.skipWhitespace()
            guard parser.scanner.atEnd else { throw parser.scanner.fail("text after the JSON value") }
            return value
        }
    }
}

/// The offset of the first byte that does not start a valid UTF-8 character, or nil.
func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
    var iterator = bytes.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    var offset = 0
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid(let scalar): offset += scalar.count
        case .emptyInput: return nil
        case .error: return offset
        }
    }
}

/// A recursive-descent parser over a scanner.
private struct JSONParser {
    var scanner: JSONScanner
    /// Scratch space for strings.
    var buffer: [UInt8] = []

    mutating func value(depth: Int) throws -> JSONValue {
        scanner.skipWhitespace()
        guard let c = scanner.peek else { throw scanner.fail("unexpected end of the text") }
        switch c {
        case 0x7B: return try object(depth: depth + 1)                            // {
        case 0x5B: return try array(depth: depth + 1)                             // [
        case 0x22:                                                                // "
            scanner.position += 1
            return .string(try string())
        case 0x74: try scanner.expectWord("true"); return .bool(true)
        case 0x66: try scanner.expectWord("false"); return .bool(false)
        case 0x6E: try scanner.expectWord("null"); return .null
        case 0x2D, 0x30...0x39: return try number()
        default: throw scanner.fail("unexpected character \(String(decoding: [c], as: UTF8.self).debugDescription)")
        }
    }

    mutating func string() throws -> String {
        try scanner.readString(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    mutating func number() throws -> JSONValue {
        let (range, isInteger) = try scanner.readNumberText()
        let text = String(decoding: UnsafeBufferPointer(rebasing: scanner.text[range]), as: UTF8.self)
        if isInteger, let i = Int(text) { return .integer(i) }
        guard let d = Double(text), d.isFinite else {
            scanner.position = range.lowerBound
            throw scanner.fail("the number \(text) is out of range")
        }
        return .number(d)
    }

    mutating func array(depth: Int) throws -> JSONValue {
        guard depth <= JSONValue.maximumDepth else { throw scanner.fail("arrays and objects nest more than \(JSONValue.maximumDepth) deep") }
        scanner.position += 1                                                     // [
        var items: [JSONValue] = []
        scanner.skipWhitespace()
        if scanner.peek == 0x5D { scanner.position += 1; return .array(items) }
        while true {
            items.append(try value(depth: depth))
            scanner.skipWhitespace()
            guard let c = scanner.peek else { throw scanner.fail("unterminated array") }
            scanner.position += 1
            if c == 0x2C { continue }                                             // ,
            if c == 0x5D { return .array(items) }                                 // ]
            scanner.position -= 1
            throw scanner.fail("expected \",\" or \"]\"")
        }
    }

    mutating func object(depth: Int) throws -> JSONValue {
        guard depth <= JSONValue.maximumDepth else { throw scanner.fail("arrays and objects nest more than \(JSONValue.maximumDepth) deep") }
        scanner.position += 1                                                     // {
        var members: [(key: String, value: JSONValue)] = []
        scanner.skipWhitespace()
        if scanner.peek == 0x7D { scanner.position += 1; return .object(members) }
        while true {
            try scanner.expect(0x22)
            let key = try string()
            try scanner.expect(0x3A)                                              // :
            members.append((key, try value(depth: depth)))
            scanner.skipWhitespace()
            guard let c = scanner.peek else { throw scanner.fail("unterminated object") }
            scanner.position += 1
            if c == 0x2C { continue }                                             // ,
            if c == 0x7D { return .object(members) }                              // }
            scanner.position -= 1
            throw scanner.fail("expected \",\" or \"}\"")
        }
    }
}
