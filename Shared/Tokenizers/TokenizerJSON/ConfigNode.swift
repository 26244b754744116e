// Reading one part of a tokenizer.json with messages that say where the problem is: every
// value is read through a `ConfigNode` that knows its path in the file ("pre_tokenizer.
// pretokenizers[0]") and the file's name, so a wrong or unsupported value becomes
//
//     tokenizer.json: pre_tokenizer.pretokenizers[0]: the pre-tokenizer "UnicodeScripts" is not supported
//
// rather than a crash or a silently different tokenizer.

// MARK: - Config node

/// A JSON value inside a configuration file, with its place in the file for error messages.
///
///     let root = ConfigNode(value: try OrderedJSON(parsing: bytes), path: "", file: "tokenizer.json")
///     let model = try root.child("model")                  // path "model"
///     let type = try model.string("type")                  // "BPE"
///     let fuse = try model.bool("fuse_unk", default: false)
struct ConfigNode {
    let value: OrderedJSON
    /// Where the value is: "model", "normalizer.normalizers[1]", or "" for the whole file.
    let path: String
    /// The file's path, first in every message.
    let file: String

    /// An error about this value.
    func error(_ problem: String, hint: String = "") -> TokenizerError {
        TokenizerError(file, path.isEmpty ? problem : "\(path): \(problem)", hint: hint)
    }

    /// The path of a member.
    private func memberPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The member `key`, which must exist (it may be null).
    func child(_ key: String) throws -> ConfigNode {
        guard case .object = value else { throw error("should be a JSON object, not \(value.kind)") }
        guard let member = value[key] else { throw error("has no \"\(key)\"") }
        return ConfigNode(value: member, path: memberPath(key), file: file)
    }

    /// The member `key`, or nil if it is missing or null.
    func optionalChild(_ key: String) throws -> ConfigNode? {
        guard case .object = value else { throw error("should be a JSON object, not \(value.kind)") }
        guard let member = value[key], !member.isNull else { return nil }
        return ConfigNode(value: member, path: memberPath(key), file: file)
    }

    /// The elements of the array member `key`.
    func elements(_ key: String) throws -> [ConfigNode] {
        let list = try child(key)
        guard case .array(let items) = list.value else { throw list.error("should be an array, not \(list.value.kind)") }
        return items.enumerated().map { ConfigNode(value: $1, path: "\(list.path)[\($0)]", file: file) }
    }

    /// The members of this object, in file order.
    func members() throws -> [(key: String, node: ConfigNode)] {
        guard case .object(let members) = value else { throw error("should be a JSON object, not \(value.kind)") }
        return members.map { ($0.key, ConfigNode(value: $0.value, path: memberPath($0.key), file: file)) }
    }

    /// The members of an object whose values are all integers (a vocabulary), in file order.
    func integerMembers() throws -> [(token: String, id: Int)] {
        guard case .object(let members) = value else { throw error("should be a JSON object, not \(value.kind)") }
        var out: [(token: String, id: Int)] = []
        out.reserveCapacity(members.count)
        for (key, member) in members {
            guard let id = member.integerValue else { throw error("the value of \(key.debugDescription) should be an integer, not \(member.kind)") }
            out.append((key, id))
        }
        return out
    }

    // MARK: - Typed members

    func string(_ key: String) throws -> String {
        let node = try child(key)
        guard let s = node.value.stringValue else { throw node.error("should be a string, not \(node.value.kind)") }
        return s
    }

    func optionalString(_ key: String) throws -> String? {
        guard let node = try optionalChild(key) else { return nil }
        guard let s = node.value.stringValue else { throw node.error("should be a string or null, not \(node.value.kind)") }
        return s
    }

    /// A boolean member; `default` when it is missing or null (required when `default` is nil).
    func bool(_ key: String, default fallback: Bool? = nil) throws -> Bool {
        guard let node = try optionalChild(key) else {
            if let fallback { return fallback }
            throw error("has no \"\(key)\" (true or false)")
        }
        guard let b = node.value.boolValue else { throw node.error("should be true or false, not \(node.value.kind)") }
        return b
    }

    /// An integer member; `default` when it is missing or null (required when `default` is nil).
    func int(_ key: String, default fallback: Int? = nil) throws -> Int {
        guard let node = try optionalChild(key) else {
            if let fallback { return fallback }
            throw error("has no \"\(key)\" (an integer)")
        }
        return try node.integerValue()
    }

    /// This value as an integer.
    func integerValue() throws -> Int {
        guard let i = value.integerValue else { throw error("should be an integer, not \(value.kind)") }
        return i
    }

    /// This value as a string.
    func stringValue() throws -> String {
        guard let s = value.stringValue else { throw error("should be a string, not \(value.kind)") }
        return s
    }

    /// A single character member (such as Metaspace's "replacement").
    func character(_ key: String) throws -> Unicode.Scalar {
        let s = try string(key)
        guard s.unicodeScalars.count == 1, let c = s.unicodeScalars.first else {
            throw try child(key).error("should be one character, not \(s.debugDescription)")
        }
        return c
    }

    /// The component's "type", checked against the ones this reader implements.
    func type(of role: String, supported: [String]) throws -> String {
        guard case .object = value else { throw error("the \(role) should be a JSON object, not \(value.kind)") }
        guard let type = value["type"]?.stringValue else {
            throw error("the \(role) has no \"type\"", hint: "supported types: \(supported.joined(separator: ", "))")
        }
        guard supported.contains(type) else {
            throw error("the \(role) \"\(type)\" is not supported",
                        hint: "this reader implements: \(supported.joined(separator: ", "))")
        }
        return type
    }

    /// An error for an option value this reader does not implement.
    func unsupported(_ key: String, _ shown: String, _ why: String = "") -> TokenizerError {
        let place = path.isEmpty ? key : "\(path).\(key)"
        return TokenizerError(file, "\(place) = \(shown) is not supported" + (why.isEmpty ? "" : " (\(why))"))
    }
}

// MARK: - Reading JSON files

/// A JSON file's contents parsed, or an error naming the file, the line and the column.
func parseJSONFile(_ bytes: [UInt8], source: String, hint: String = "") throws -> OrderedJSON {
    if let bad = firstInvalidUTF8(bytes) {
        let (line, column) = bytes.withUnsafeBufferPointer { JSONScanner.lineAndColumn(of: bad, in: $0) }
        throw TokenizerError(source, "is not UTF-8 text (line \(line), column \(column))", hint: hint)
    }
    do {
        return try OrderedJSON(parsing: bytes)
    } catch let failure as OrderedJSON.ParseError {
        // the reader's offsets count from after a byte order mark
        let offset = failure.offset + (bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0)
        let (line, column) = bytes.withUnsafeBufferPointer { JSONScanner.lineAndColumn(of: offset, in: $0) }
        throw TokenizerError(source, "is not valid JSON: \(failure.message) (line \(line), column \(column))", hint: hint)
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

// MARK: - Typed access to JSON values

extension OrderedJSON {
    /// An integer's value (nil for anything else, a 64-bit overflow included).
    var integerValue: Int? { if case .integer(let i) = self { return i } else { return nil } }

    /// Any number as a Double (an integer converted).
    var numberValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// Element `index` of an array, or nil.
    subscript(index: Int) -> OrderedJSON? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    /// The kind of value, for messages ("an object", "a string", …).
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .largeInteger, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
