// The values a template computes with. Jinja runs on Python objects, so these are Python's:
// None, bool, int, float, str, list, tuple and dict (which keeps insertion order), plus the few
// other things a template can meet: an undefined name, dict views and ranges, one-pass
// iterators (what `map` and `select` return), and objects (namespaces, the loop, macros and
// functions). Strings are compared and indexed by Unicode code point, as Python does, never
// with Swift's canonical equivalence.

// MARK: - Values

/// A Python value inside a template.
///
///     try JinjaValue(json: try OrderedJSON(parsing: #"{"role": "user"}"#))   // .dict({"role": "user"})
enum JinjaValue {
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
struct JinjaUndefined {
    let message: String

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
