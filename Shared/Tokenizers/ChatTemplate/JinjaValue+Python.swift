// How Python sees a value: its type's name, whether it is true, and the text `str()` and
// `repr()` give. `{{ x }}` prints `str(x)`, so a list prints as ['a', 'b'] and None as None.

extension JinjaValue {
    /// Python's `type(x).__name__`.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .view(let v): return v.typeName
        case .iterator(let it): return it.typeName
        case .object(let o): return o.typeName
        }
    }

    /// jinja2's `object_type_repr`: "dict object", "None", … (used in its messages).
    var typeDescription: String {
        if case .none = self { return "None" }
        if case .undefined = self { return "jinja2.runtime.Undefined object" }
        return "\(typeName) object"
    }

    /// Python's `bool(x)`.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let f): return f != 0
        case .string(let s): return !s.isEmpty
        case .list(let a), .tuple(let a): return !a.isEmpty
        case .dict(let d): return d.count > 0
        case .view(let v): return !v.elements.isEmpty
        case .iterator, .object: return true
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    /// Python's `str(x)`, which `{{ x }}` prints. Undefined prints as "".
    func str() throws -> String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default: return try repr()
        }
    }

    /// How deep a value may nest for `repr`, `tojson` and namespace attributes (Python's own
    /// limit is its recursion limit).
    static let maxDepth = 200

    static func tooDeep() -> JinjaError {
        .runtime("maximum recursion depth exceeded while getting the repr of an object (a value nests more than \(maxDepth) levels)")
    }

    /// Whether the value nests deeper than `maxDepth` (lists, tuples, dicts, views).
    func nestsTooDeep(_ depth: Int = 0) -> Bool {
        if depth > Self.maxDepth { return true }
        switch self {
        case .list(let a), .tuple(let a): return a.contains { $0.nestsTooDeep(depth + 1) }
        case .dict(let d): return d.entries.contains { $0.key.nestsTooDeep(depth + 1) || $0.value.nestsTooDeep(depth + 1) }
        case .view(let v): return v.elements.contains { $0.nestsTooDeep(depth + 1) }
        default: return false
        }
    }

    /// Python's `repr(x)`. Values whose repr is a memory address (functions, generators)
    /// throw instead: a prompt must not depend on where Python put an object.
    func repr(depth: Int = 0) throws -> String {
        guard depth <= Self.maxDepth else { throw Self.tooDeep() }
        let d = depth + 1
        switch self {
        case .undefined: return "Undefined"
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let f): return PyString.floatRepr(f)
        case .string(let s): return PyString.repr(s)
        case .list(let a): return "[" + (try a.map { try $0.repr(depth: d) }).joined(separator: ", ") + "]"
        case .tuple(let a):
            if a.count == 1 { return "(" + (try a[0].repr(depth: d)) + ",)" }
            return "(" + (try a.map { try $0.repr(depth: d) }).joined(separator: ", ") + ")"
        case .dict(let dict):
            return "{" + (try dict.entries.map { try $0.key.repr(depth: d) + ": " + $0.value.repr(depth: d) }).joined(separator: ", ") + "}"
        case .view(let v):
            switch v.kind {
            case .range(let start, let stop, let step):
                return step == 1 ? "range(\(start), \(stop))" : "range(\(start), \(stop), \(step))"
            default:
                return v.typeName + "(" + (try JinjaValue.list(v.elements).repr(depth: d)) + ")"
            }
        case .iterator(let it):
            throw JinjaError.unsupported("printing a \(it.typeName) (Python prints its memory address); convert it with |list first")
        case .object(let o):
            guard let text = try o.repr(depth: d) else {
                throw JinjaError.unsupported("printing a \(o.typeName) (Python prints its memory address)")
            }
            return text
        }
    }
}

// MARK: - From and to JSON

extension JinjaValue {
    /// The value Python's `json.loads` makes of a JSON document. An integer beyond 64 bits
    /// (Python's are unbounded) is refused rather than rounded.
    init(json: OrderedJSON) throws {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .integer(let i): self = .int(i)
        case .largeInteger(let digits): throw JinjaError.unsupported("integers beyond 64 bits (\(digits) in the template's input)")
        case .double(let d): self = .float(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(try a.map(JinjaValue.init(json:)))
        case .object(let members):
            self = .dict(JinjaDict(try members.map { (JinjaValue.string($0.key), try JinjaValue(json: $0.value)) }))
        }
    }
}
