// The values a template computes with. Jinja runs on Python objects, so these are Python's:
// None, bool, int, float, str, list, tuple and dict (which keeps insertion order), plus the few
// other things a template can meet: an undefined name, dict views and ranges, one-pass
// iterators (what `map` and `select` return), and objects (namespaces, the loop, macros and
// functions). Strings are compared and indexed by Unicode code point, as Python does, never
// with Swift's canonical equivalence.

// MARK: - Values

/// A Python value inside a template.
///
///     JinjaValue(json: try OrderedJSON(parsing: #"{"role": "user"}"#))   // .dict(["role": "user"])
public enum JinjaValue {
    /// A name or attribute that does not exist; printing it gives "", using it otherwise fails.
    case undefined(JinjaUndefined)
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([JinjaValue])
    case tuple([JinjaValue])
    case dict(JinjaDict)
    /// `dict.items()`, `.keys()`, `.values()` and `range(…)`: sized and iterable again and again.
    case view(JinjaView)
    /// A generator or reversed-iterator: iterable once, always true, without a length.
    case iterator(JinjaIterator)
    /// A namespace, the loop variable, a macro or a function.
    case object(JinjaObject)
}

/// Why a value is undefined, in jinja2's words (used when it is misused).
public struct JinjaUndefined {
    public let message: String

    /// `'name' is undefined`
    static func name(_ name: String) -> JinjaUndefined { JinjaUndefined(message: "'\(name)' is undefined") }

    /// jinja2's message for a missing attribute or item of `owner`.
    static func missing(_ key: JinjaValue, of owner: JinjaValue) -> JinjaUndefined {
        if case .string(let s) = key {
            return JinjaUndefined(message: "'\(owner.typeDescription)' has no attribute \(PyString.repr(s))")
        }
        return JinjaUndefined(message: "\(owner.typeDescription) has no element \((try? key.repr()) ?? "?")")
    }
}

/// A Python dict: insertion-ordered, keys compared with Python's `==` (so 1 and 1.0 and True
/// are one key).
public struct JinjaDict {
    public private(set) var entries: [(key: JinjaValue, value: JinjaValue)] = []

    public init() {}

    public init(_ entries: [(key: JinjaValue, value: JinjaValue)]) {
        for (k, v) in entries { self[k] = v }
    }

    public var count: Int { entries.count }
    public var keys: [JinjaValue] { entries.map(\.key) }
    public var values: [JinjaValue] { entries.map(\.value) }

    func index(of key: JinjaValue) -> Int? {
        entries.firstIndex { JinjaOperators.equal($0.key, key) }
    }

    /// Reading a missing key gives nil; writing keeps an existing key's place.
    public subscript(key: JinjaValue) -> JinjaValue? {
        get { index(of: key).map { entries[$0].value } }
        set {
            if let i = index(of: key) {
                if let v = newValue { entries[i].value = v } else { entries.remove(at: i) }
            } else if let v = newValue {
                entries.append((key, v))
            }
        }
    }

    public subscript(key: String) -> JinjaValue? {
        get { self[.string(key)] }
        set { self[.string(key)] = newValue }
    }
}

/// A dict view or a range: a fixed list of elements with Python's type name and repr.
public struct JinjaView {
    public enum Kind { case items, keys, values, range(start: Int, stop: Int, step: Int) }
    public let kind: Kind
    public let elements: [JinjaValue]

    public var typeName: String {
        switch kind {
        case .items: return "dict_items"
        case .keys: return "dict_keys"
        case .values: return "dict_values"
        case .range: return "range"
        }
    }
}

/// A one-pass iterator (a Python generator): once read, it is empty.
public final class JinjaIterator {
    /// Python's type name, e.g. "generator" or "list_reverseiterator".
    public let typeName: String
    private var elements: [JinjaValue]
    private var position = 0

    init(_ typeName: String, _ elements: [JinjaValue]) {
        self.typeName = typeName
        self.elements = elements
    }

    /// Everything not yet read, which is read now.
    func drain() -> [JinjaValue] {
        let rest = position < elements.count ? Array(elements[position...]) : []
        elements = []
        position = 0
        return rest
    }

    /// The next element, which is read now.
    func next() -> JinjaValue? {
        guard position < elements.count else { return nil }
        defer { position += 1 }
        return elements[position]
    }
}

/// Objects with attributes: namespaces, the loop variable, macros and functions.
public protocol JinjaObject: AnyObject {
    /// Python's type name ("Namespace", "LoopContext", "Macro", "builtin_function_or_method").
    var typeName: String { get }
    /// The attribute `name`, or nil when there is none.
    func attribute(_ name: String) throws -> JinjaValue?
    /// What `repr()` gives (nested values one level deeper), or nil when Python would print a
    /// memory address.
    func repr(depth: Int) throws -> String?
}

/// `namespace(…)`: the one mutable object of a template (`{% set ns.count = ns.count + 1 %}`).
final class JinjaNamespace: JinjaObject {
    var attributes = JinjaDict()
    var typeName: String { "Namespace" }
    func attribute(_ name: String) -> JinjaValue? { attributes[name] }
    func repr(depth: Int) throws -> String? { "<Namespace \(try JinjaValue.dict(attributes).repr(depth: depth))>" }
}

/// A callable: a macro, a global function or a bound method.
final class JinjaFunction: JinjaObject {
    let name: String
    let typeName: String
    let body: (JinjaArguments) throws -> JinjaValue

    init(name: String, typeName: String = "builtin_function_or_method", body: @escaping (JinjaArguments) throws -> JinjaValue) {
        self.name = name
        self.typeName = typeName
        self.body = body
    }

    func attribute(_ attribute: String) -> JinjaValue? {
        attribute == "name" && typeName == "Macro" ? .string(name) : nil
    }

    func repr(depth: Int) -> String? { typeName == "Macro" ? "<Macro \(PyString.repr(name))>" : nil }
}

/// Arguments of a call: positional, then keyword in the order written.
public struct JinjaArguments {
    public var positional: [JinjaValue]
    public var keyword: [(name: String, value: JinjaValue)]

    public init(_ positional: [JinjaValue] = [], keyword: [(name: String, value: JinjaValue)] = []) {
        self.positional = positional
        self.keyword = keyword
    }

    /// Binds the arguments to `parameters` (name and default; nil default = required) the way
    /// Python binds a call, with Python's error messages for `function`.
    func bind(_ function: String, _ parameters: [(String, JinjaValue?)]) throws -> [JinjaValue] {
        if positional.count > parameters.count {
            throw JinjaError.runtime("\(function)() takes at most \(parameters.count) argument\(parameters.count == 1 ? "" : "s") (\(positional.count) given)")
        }
        var bound: [JinjaValue?] = positional.map { $0 } + Array(repeating: nil, count: parameters.count - positional.count)
        for (name, value) in keyword {
            guard let k = parameters.firstIndex(where: { $0.0 == name }) else {
                throw JinjaError.runtime("\(function)() got an unexpected keyword argument '\(name)'")
            }
            if bound[k] != nil { throw JinjaError.runtime("\(function)() got multiple values for argument '\(name)'") }
            bound[k] = value
        }
        return try zip(bound, parameters).map { value, parameter in
            if let value { return value }
            if let fallback = parameter.1 { return fallback }
            throw JinjaError.runtime("\(function)() missing required argument '\(parameter.0)'")
        }
    }
}
