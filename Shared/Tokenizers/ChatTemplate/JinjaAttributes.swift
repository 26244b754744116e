// `a.b` and `a[b]`, as jinja2's sandbox resolves them. `a.b` asks for a Python attribute first
// and falls back to the item b (so `message.content` reads the key "content", but
// `message.items` is the dict's method); `a[b]` asks for the item first, then the attribute.
// Neither fails when nothing is found: the result is undefined. The sandbox refuses methods
// that would change a list or dict (append, update, …) and names starting with "__".

enum JinjaAttributes {
    /// Python's attributes per type: the implemented ones become bound methods; the others
    /// exist in Python (so a template may rely on them) and are refused by name.
    static let pythonAttributes: [String: Set<String>] = [
        "str": ["capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find", "format",
                "format_map", "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier",
                "islower", "isnumeric", "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower",
                "lstrip", "maketrans", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex",
                "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase",
                "title", "translate", "upper", "zfill"],
        "dict": ["clear", "copy", "fromkeys", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values"],
        "list": ["append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort"],
        "tuple": ["count", "index"],
        "int": ["as_integer_ratio", "bit_count", "bit_length", "conjugate", "denominator", "from_bytes", "imag",
                "numerator", "real", "to_bytes", "is_integer"],
        "float": ["as_integer_ratio", "conjugate", "fromhex", "hex", "imag", "is_integer", "real"],
        "dict_items": ["isdisjoint", "mapping"], "dict_keys": ["isdisjoint", "mapping"], "dict_values": ["mapping"],
        "range": ["count", "index", "start", "step", "stop"],
    ]

    /// The methods jinja2's ImmutableSandboxedEnvironment refuses (they modify their object).
    static let mutating: [String: Set<String>] = [
        "list": ["append", "clear", "pop", "reverse", "insert", "sort", "extend", "remove"],
        "dict": ["clear", "pop", "popitem", "setdefault", "update"],
    ]

    /// `obj.name`
    static func getattr(_ obj: JinjaValue, _ name: String) throws -> JinjaValue {
        if case .undefined(let u) = obj { throw JinjaError.runtime(u.message) }
        if let attribute = try attribute(of: obj, name) { return attribute }
        if let item = item(of: obj, .string(name)) { return item }
        return .undefined(.missing(.string(name), of: obj))
    }

    /// `obj[key]`
    static func getitem(_ obj: JinjaValue, _ key: JinjaValue) throws -> JinjaValue {
        if case .undefined(let u) = obj { throw JinjaError.runtime(u.message) }
        if let item = item(of: obj, key) { return item }
        if case .string(let name) = key, let attribute = try attribute(of: obj, name) { return attribute }
        return .undefined(.missing(key, of: obj))
    }

    /// Python's `obj[key]`, or nil where Python raises (missing key, index out of range, wrong type).
    static func item(of obj: JinjaValue, _ key: JinjaValue) -> JinjaValue? {
        switch obj {
        case .dict(let d): return d[key]
        case .list(let a), .tuple(let a): return index(key, count: a.count).map { a[$0] }
        case .string(let s):
            let scalars = PyString.scalars(s)
            return index(key, count: scalars.count).map { .string(String(scalars[$0])) }
        case .view(let v):
            guard case .range = v.kind else { return nil }
            return index(key, count: v.elements.count).map { v.elements[$0] }
        default: return nil
        }
    }

    /// An int (or bool) index into `count` elements, negative from the end; nil when out of range.
    static func index(_ key: JinjaValue, count: Int) -> Int? {
        guard case .int(var i)? = JinjaOperators.number(key) else { return nil }
        if i < 0 { i += count }
        return i >= 0 && i < count ? i : nil
    }

    /// A Python attribute of `obj`: a bound method, an object's attribute, or nil if none exists.
    static func attribute(of obj: JinjaValue, _ name: String) throws -> JinjaValue? {
        let type = obj.typeName
        if name.hasPrefix("__") {
            return .undefined(JinjaUndefined(message: "access to attribute '\(name)' of '\(type)' object is unsafe."))
        }
        if case .object(let o) = obj { return try o.attribute(name) }
        guard let names = pythonAttributes[type == "bool" ? "int" : type], names.contains(name) else { return nil }
        if mutating[type]?.contains(name) == true {
            return .undefined(JinjaUndefined(message: "access to attribute '\(name)' of '\(type)' object is unsafe."))
        }
        switch obj {
        case .string(let s):
            if let method = JinjaStringMethods.method(name, of: s) { return method }
        case .dict(let d):
            if let method = dictMethod(name, of: d) { return method }
        case .list(let a), .tuple(let a):
            if let method = sequenceMethod(name, of: a, type: type) { return method }
        case .view(let v):
            if case .range(let start, let stop, let step) = v.kind {
                switch name {
                case "start": return .int(start)
                case "stop": return .int(stop)
                case "step": return .int(step)
                default: break
                }
            }
        default: break
        }
        throw JinjaError.unsupported("the \(type) attribute '\(name)'")
    }

    static func bound(_ type: String, _ name: String, _ body: @escaping (JinjaArguments) throws -> JinjaValue) -> JinjaValue {
        .object(JinjaFunction(name: "\(type).\(name)", body: body))
    }

    static func dictMethod(_ name: String, of d: JinjaDict) -> JinjaValue? {
        switch name {
        case "get":
            return bound("dict", name) { args in
                guard (1...2).contains(args.positional.count), args.keyword.isEmpty else {
                    throw JinjaError.runtime("get expected 1 or 2 arguments, got \(args.positional.count)")
                }
                return d[args.positional[0]] ?? (args.positional.count == 2 ? args.positional[1] : .none)
            }
        case "items", "keys", "values":
            return bound("dict", name) { args in
                _ = try args.bind("dict.\(name)", [])
                switch name {
                case "items": return .view(JinjaView(kind: .items, elements: d.entries.map { .tuple([$0.key, $0.value]) }))
                case "keys": return .view(JinjaView(kind: .keys, elements: d.keys))
                default: return .view(JinjaView(kind: .values, elements: d.values))
                }
            }
        case "copy":
            return bound("dict", name) { args in _ = try args.bind("dict.copy", []); return .dict(d) }
        default: return nil
        }
    }

    static func sequenceMethod(_ name: String, of a: [JinjaValue], type: String) -> JinjaValue? {
        switch name {
        case "count":
            return bound(type, name) { args in
                let x = try args.bind("\(type).count", [("value", nil)])[0]
                return .int(a.filter { JinjaOperators.equal($0, x) }.count)
            }
        case "index":
            return bound(type, name) { args in
                let x = try args.bind("\(type).index", [("value", nil)])[0]
                guard let i = a.firstIndex(where: { JinjaOperators.equal($0, x) }) else {
                    throw JinjaError.runtime("\(try x.repr()) is not in \(type)")
                }
                return .int(i)
            }
        case "copy":
            return bound(type, name) { args in _ = try args.bind("list.copy", []); return .list(a) }
        default: return nil
        }
    }
}
