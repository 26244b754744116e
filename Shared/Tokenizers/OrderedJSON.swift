// A JSON value that keeps the order of an object's keys, as Python's `json.loads` does (a dict
// remembers insertion order). Foundation's JSONSerialization gives an NSDictionary, whose order
// is lost: a chat template that prints a tool's schema with `tojson` must write the keys in the
// order the file had them, so the course reads such files with this parser.

// MARK: - The value

/// A parsed JSON document, objects in file order.
///
///     let v = try OrderedJSON(parsing: #"{"b": 1, "a": [true, null, 2.5]}"#)
///     v["b"]                  // .integer(1)
///     v.objectMembers?.map(\.key)   // ["b", "a"]
public enum OrderedJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number written without a fraction or exponent (Python's `int`).
    case integer(Int)
    /// An integer beyond 64 bits, kept as its decimal digits (tokenizer_config.json files hold
    /// such numbers, e.g. `"model_max_length": 1000000000000000019884624838656`).
    case largeInteger(String)
    /// A number with a fraction or exponent, or NaN / Infinity (Python's `float`).
    case double(Double)
    case string(String)
    case array([OrderedJSON])
    /// Members in file order; a repeated key keeps its first place and its last value, as in Python.
    case object([(key: String, value: OrderedJSON)])

    public static func == (a: OrderedJSON, b: OrderedJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.integer(x), .integer(y)): return x == y
        case let (.largeInteger(x), .largeInteger(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key.unicodeScalars.elementsEqual($1.key.unicodeScalars) && $0.value == $1.value }
        default: return false
        }
    }

    /// The member `key` of an object (nil for a missing key or a non-object).
    public subscript(key: String) -> OrderedJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key.unicodeScalars.elementsEqual(key.unicodeScalars) }?.value
    }

    public var objectMembers: [(key: String, value: OrderedJSON)]? {
        if case .object(let m) = self { return m }
        return nil
    }

    public var arrayValue: [OrderedJSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON text, as Python's `json.dumps(value, ensure_ascii=False)` writes it: keys in
    /// order, ", " and ": " between items, floats as Python's repr.
    ///
    ///     OrderedJSON.object([("a", .array([.integer(1), .double(2)]))]).serialized()   // {"a": [1, 2.0]}
    public func serialized() -> String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .largeInteger(let digits): return digits
        case .double(let d): return PythonJSON.float(d)
        case .string(let s): return PythonJSON.quote(s)
        case .array(let a): return "[" + a.map { $0.serialized() }.joined(separator: ", ") + "]"
        case .object(let members):
            return "{" + members.map { PythonJSON.quote($0.key) + ": " + $0.value.serialized() }.joined(separator: ", ") + "}"
        }
    }
}

// MARK: - Parsing

extension OrderedJSON {
    /// Where and why a text is not JSON.
    public struct ParseError: Error, CustomStringConvertible {
        public let message: String
        /// The byte offset of the problem.
        public let offset: Int
        public var description: String { "\(message) at byte \(offset)" }
    }

    /// Parses a JSON document (one value, whitespace around it allowed). Like Python's
    /// `json.loads`, it accepts `NaN`, `Infinity` and `-Infinity`.
    public init(parsing text: String) throws {
        try self.init(parsing: Array(text.utf8))
    }

    /// Parses a JSON document given as UTF-8 bytes (a file's contents: a tokenizer.json).
    public init(parsing bytes: [UInt8]) throws {
        var bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }      // a byte order mark
        var reader = JSONReader(bytes: bytes)
        self = try reader.document()
    }
}

/// A recursive-descent reader over UTF-8 bytes.
private struct JSONReader {
    let bytes: [UInt8]
    var i = 0
    var depth = 0
    static let maxDepth = 512

    init(bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ message: String) -> OrderedJSON.ParseError { OrderedJSON.ParseError(message: message, offset: i) }

    mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func document() throws -> OrderedJSON {
        let v = try value()
        skipWhitespace()
        guard i == bytes.count else { throw fail("text after the JSON value") }
        return v
    }

    mutating func literal(_ word: String, _ v: OrderedJSON) throws -> OrderedJSON {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else { throw fail("unexpected character") }
        i += w.count
        return v
    }

    mutating func value() throws -> OrderedJSON {
        skipWhitespace()
        guard i < bytes.count else { throw fail("unexpected end of the text") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): i += 1; return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "N"): return try literal("NaN", .double(.nan))
        case UInt8(ascii: "I"): return try literal("Infinity", .double(.infinity))
        default: return try number()
        }
    }

    mutating func nested(_ body: (inout JSONReader) throws -> OrderedJSON) throws -> OrderedJSON {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
        return try body(&self)
    }

    mutating func object() throws -> OrderedJSON {
        try nested { r in
            r.i += 1                                                         // {
            var members: [(key: String, value: OrderedJSON)] = []
            // where each key is, once an object is large (a tokenizer's vocabulary has 50,000 and
            // more): keyed by UTF-8, since keys are compared code point by code point
            var place: [[UInt8]: Int] = [:]
            r.skipWhitespace()
            if r.i < r.bytes.count, r.bytes[r.i] == UInt8(ascii: "}") { r.i += 1; return .object(members) }
            while true {
                r.skipWhitespace()
                guard r.i < r.bytes.count, r.bytes[r.i] == UInt8(ascii: "\"") else { throw r.fail("expected a string key") }
                r.i += 1
                let key = try r.string()
                r.skipWhitespace()
                guard r.i < r.bytes.count, r.bytes[r.i] == UInt8(ascii: ":") else { throw r.fail("expected \":\"") }
                r.i += 1
                let v = try r.value()
                if members.count == 16 && place.isEmpty {
                    for (k, member) in members.enumerated() { place[Array(member.key.utf8)] = k }
                }
                if members.count < 16 {
                    if let k = members.firstIndex(where: { $0.key.unicodeScalars.elementsEqual(key.unicodeScalars) }) {
                        members[k].value = v
                    } else {
                        members.append((key, v))
                    }
                } else {
                    let utf8 = Array(key.utf8)
                    if let k = place[utf8] {
                        members[k].value = v
                    } else {
                        place[utf8] = members.count
                        members.append((key, v))
                    }
                }
                r.skipWhitespace()
                guard r.i < r.bytes.count else { throw r.fail("unterminated object") }
                if r.bytes[r.i] == UInt8(ascii: ",") { r.i += 1; continue }
                if r.bytes[r.i] == UInt8(ascii: "}") { r.i += 1; return .object(members) }
                throw r.fail("expected \",\" or \"}\"")
            }
        }
    }

    mutating func array() throws -> OrderedJSON {
        try nested { r in
            r.i += 1                                                         // [
            var items: [OrderedJSON] = []
            r.skipWhitespace()
            if r.i < r.bytes.count, r.bytes[r.i] == UInt8(ascii: "]") { r.i += 1; return .array(items) }
            while true {
                items.append(try r.value())
                r.skipWhitespace()
                guard r.i < r.bytes.count else { throw r.fail("unterminated array") }
                if r.bytes[r.i] == UInt8(ascii: ",") { r.i += 1; continue }
                if r.bytes[r.i] == UInt8(ascii: "]") { r.i += 1; return .array(items) }
                throw r.fail("expected \",\" or \"]\"")
            }
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("incomplete \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: throw fail("bad \\u escape")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    /// A string from just after its opening quote to just after its closing one.
    mutating func string() throws -> String {
        var out: [UInt8] = []
        while true {
            // a run of plain bytes, copied at once
            let run = i
            while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
            if i > run { out.append(contentsOf: bytes[run..<i]) }
            guard i < bytes.count else { throw fail("unterminated string") }
            let c = bytes[i]
            if c < 0x20 { throw fail("control character in a string") }
            i += 1
            if c == UInt8(ascii: "\"") { break }
            if c != UInt8(ascii: "\\") { out.append(c); continue }
            guard i < bytes.count else { throw fail("unterminated string") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var v = try hex4()
                if (0xD800..<0xDC00).contains(v) {
                    guard i + 2 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw fail("a lone surrogate (\\u\(String(v, radix: 16))) cannot be held in a Swift string")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("a lone surrogate cannot be held in a Swift string") }
                    v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(v) else { throw fail("a lone surrogate cannot be held in a Swift string") }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw fail("bad escape \\\(Character(Unicode.Scalar(e)))")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
        return s
    }

    mutating func number() throws -> OrderedJSON {
        let start = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "I") { return try literal("Infinity", .double(-.infinity)) }
        }
        func digits() -> Int {
            let s = i
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
            return i - s
        }
        let intStart = i
        let n = digits()
        guard n > 0 else { throw fail("unexpected character") }
        if n > 1, bytes[intStart] == UInt8(ascii: "0") { throw fail("a number may not start with 0") }
        var isInteger = true
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            isInteger = false
            guard digits() > 0 else { throw fail("expected digits after \".\"") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            isInteger = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw fail("expected digits in the exponent") }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInteger { return Int(text).map(OrderedJSON.integer) ?? .largeInteger(text) }
        guard let v = Double(text) else { throw fail("bad number \(text)") }
        return .double(v)
    }
}
