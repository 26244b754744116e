// Filters, `value | name(arguments)`, with jinja2's parameters and behaviour (and Hugging
// Face's `tojson`). This file: the registry and the filters on text and numbers; the filters on
// sequences are in JinjaFilters+Sequences.swift.

enum JinjaFilters {
    typealias Filter = (JinjaValue, JinjaArguments) throws -> JinjaValue

    /// Filters jinja2 has that this interpreter refuses: they depend on HTML escaping (Markup),
    /// randomness, or are not worth their size in a chat template.
    static let unsupported: Set<String> = ["e", "escape", "forceescape", "safe", "filesizeformat", "groupby", "pprint",
                                           "random", "slice", "striptags", "truncate", "urlencode", "urlize", "wordwrap", "xmlattr"]

    static let all: [String: Filter] = textFilters.merging(sequenceFilters) { a, _ in a }

    /// At parse time: an unknown filter is jinja2's error, an unimplemented one is refused by name.
    static func check(_ name: String, line: Int) throws {
        if all[name] != nil { return }
        if unsupported.contains(name) { throw JinjaError.unsupported("the filter '\(name)'") }
        throw JinjaError.syntax("No filter named '\(name)'.", line: line)
    }

    static func apply(_ name: String, _ value: JinjaValue, _ args: JinjaArguments) throws -> JinjaValue {
        guard let filter = all[name] else {
            if unsupported.contains(name) { throw JinjaError.unsupported("the filter '\(name)'") }
            throw JinjaError.runtime("No filter named '\(name)'.")
        }
        return try filter(value, args)
    }

    /// Undefined values fail where jinja2's Undefined would (arithmetic, int(), …).
    static func defined(_ v: JinjaValue) throws -> JinjaValue {
        if case .undefined(let u) = v { throw JinjaError.runtime(u.message) }
        return v
    }

    static let textFilters: [String: Filter] = [
        "trim": { v, args in
            let chars = try JinjaStringMethods.optionalString(try args.bind("trim", [("chars", JinjaValue.none)])[0], "trim")
            return .string(PyString.strip(try v.str(), chars))
        },
        "upper": { v, args in _ = try args.bind("upper", []); return .string(PyString.upper(try v.str())) },
        "lower": { v, args in _ = try args.bind("lower", []); return .string(PyString.lower(try v.str())) },
        "capitalize": { v, args in _ = try args.bind("capitalize", []); return .string(PyString.capitalize(try v.str())) },
        "title": { v, args in
            _ = try args.bind("title", [])
            // jinja2's own title: split into words and runs of -, whitespace, (, {, [, <;
            // each piece: its first code point upper-cased, the rest lower-cased.
            let a = PyString.scalars(try v.str())
            func isSeparator(_ c: Unicode.Scalar) -> Bool { PyString.isWhitespace(c) || "-({[<".unicodeScalars.contains(c) }
            var out = "", i = 0
            while i < a.count {
                var j = i + 1
                while j < a.count, isSeparator(a[j]) == isSeparator(a[i]) { j += 1 }
                out += a[i].properties.uppercaseMapping + PyString.lower(PyString.string(a[(i + 1)..<j]))
                i = j
            }
            return .string(out)
        },
        "replace": { v, args in
            let a = try args.bind("replace", [("old", nil), ("new", nil), ("count", JinjaValue.none)])
            let count = a[2].isNone ? -1 : try JinjaStringMethods.int(a[2], "replace")
            return .string(PyString.replace(try v.str(), try a[0].str(), try a[1].str(), count: count))
        },
        "string": { v, args in _ = try args.bind("string", []); return .string(try v.str()) },
        "center": { v, args in
            let width = try JinjaStringMethods.int(try args.bind("center", [("width", .int(80))])[0], "center")
            return .string(try JinjaStringMethods.padded(try v.str(), width, " ", left: true, right: true))
        },
        "wordcount": { v, args in
            _ = try args.bind("wordcount", [])
            // jinja2 counts matches of \w+
            var count = 0, inWord = false
            for c in try v.str().unicodeScalars {
                let word = c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
                if word && !inWord { count += 1 }
                inWord = word
            }
            return .int(count)
        },
        "indent": { v, args in
            let a = try args.bind("indent", [("width", .int(4)), ("first", .bool(false)), ("blank", .bool(false))])
            let indention: String
            if case .string(let s) = a[0] { indention = s } else {
                let n = try JinjaStringMethods.int(a[0], "indent")
                guard n <= 10_000 else { throw JinjaError.unsupported("an indent wider than 10000") }
                indention = String(repeating: " ", count: max(n, 0))
            }
            // jinja2: s += "\n"; then splitlines, so a trailing newline is kept as an empty line.
            let lines = PyString.splitlines(try v.str() + "\n")
            var out: String
            if a[2].isTruthy {
                out = lines.joined(separator: "\n" + indention)
            } else {
                out = lines.first ?? ""
                let rest = lines.dropFirst()
                if !rest.isEmpty { out += "\n" + rest.map { $0.isEmpty ? $0 : indention + $0 }.joined(separator: "\n") }
            }
            return .string(a[1].isTruthy ? indention + out : out)
        },
        "format": { v, args in
            if !args.positional.isEmpty && !args.keyword.isEmpty {
                throw JinjaError.runtime("can't handle positional and keyword arguments at the same time")
            }
            let values: JinjaValue = args.keyword.isEmpty ? .tuple(args.positional)
                : .dict(JinjaDict(args.keyword.map { (.string($0.name), $0.value) }))
            return .string(try PercentFormat.format(try v.str(), values))
        },
        "tojson": { v, args in
            let a = try args.bind("tojson", [("ensure_ascii", .bool(false)), ("indent", JinjaValue.none),
                                             ("separators", JinjaValue.none), ("sort_keys", .bool(false))])
            var indent: String?
            switch a[1] {
            case .none: indent = nil
            case .string(let s): indent = s
            default:
                let n = try JinjaStringMethods.int(a[1], "tojson")
                guard n <= 10_000 else { throw JinjaError.unsupported("an indent wider than 10000") }
                indent = String(repeating: " ", count: max(n, 0))
            }
            var separators: (String, String)?
            if !a[2].isNone {
                let parts = try JinjaOperators.elements(of: a[2])
                guard parts.count == 2, case .string(let item) = parts[0], case .string(let key) = parts[1] else {
                    throw JinjaError.runtime("separators must be a pair of strings")
                }
                separators = (item, key)
            }
            let options = PythonJSON.Options(ensureASCII: a[0].isTruthy, indent: indent, separators: separators, sortKeys: a[3].isTruthy)
            return .string(try PythonJSON.dumps(v, options))
        },
        "int": { v, args in
            let a = try args.bind("int", [("default", .int(0)), ("base", .int(10))])
            switch try defined(v) {
            case .string(let s):
                let base = try JinjaStringMethods.int(a[1], "int")
                if let i = PythonNumbers.int(s, base: base) { return .int(i) }
                guard let f = PythonNumbers.float(s), f.isFinite, let i = Int(exactly: f.rounded(.towardZero)) else { return a[0] }
                return .int(i)
            case .bool(let b): return .int(b ? 1 : 0)
            case .int(let i): return .int(i)
            case .float(let f):
                if f.isNaN { return a[0] }
                guard let i = Int(exactly: f.rounded(.towardZero)) else { throw JinjaError.runtime("cannot convert float infinity to integer") }
                return .int(i)
            default: return a[0]
            }
        },
        "float": { v, args in
            let fallback = try args.bind("float", [("default", .float(0))])[0]
            switch try defined(v) {
            case .string(let s): return PythonNumbers.float(s).map(JinjaValue.float) ?? fallback
            case .bool(let b): return .float(b ? 1 : 0)
            case .int(let i): return .float(Double(i))
            case .float: return v
            default: return fallback
            }
        },
        "abs": { v, args in
            _ = try args.bind("abs", [])
            switch JinjaOperators.number(try defined(v)) {
            case .int(let i)?:
                guard i != .min else { throw JinjaError.unsupported("integers beyond 64 bits") }
                return .int(Swift.abs(i))
            case .float(let f)?: return .float(Swift.abs(f))
            case nil: throw JinjaError.runtime("bad operand type for abs(): '\(v.typeName)'")
            }
        },
        "round": { v, args in
            let a = try args.bind("round", [("precision", .int(0)), ("method", .string("common"))])
            let precision = try JinjaStringMethods.int(a[0], "round")
            guard case .string(let method) = a[1], ["common", "ceil", "floor"].contains(method) else {
                throw JinjaError.runtime("method must be common, ceil or floor")
            }
            guard let n = JinjaOperators.number(try defined(v)) else {
                throw JinjaError.runtime("type \(v.typeName) doesn't define __round__ method")
            }
            if method == "common" {
                if case .int(let i) = n { return .int(try roundInteger(i, precision)) }   // round(int, n) is an int
                return .float(PythonNumbers.round(n.double, precision))
            }
            let scale = pow10(precision)
            let x = n.double * scale
            return .float((method == "ceil" ? x.rounded(.up) : x.rounded(.down)) / scale)
        },
    ]

    /// Python's `round(int, n)`: unchanged for n >= 0, else to a multiple of 10^-n, ties to even.
    static func roundInteger(_ i: Int, _ n: Int) throws -> Int {
        guard n < 0 else { return i }
        guard -n < 19 else { return 0 }
        var p = 1
        for _ in 0..<(-n) { p *= 10 }
        var q = i / p, r = i % p
        if r < 0 { q -= 1; r += p }
        if 2 * r > p || (2 * r == p && q % 2 != 0) { q += 1 }
        return try JinjaOperators.checkedInt(q.multipliedReportingOverflow(by: p))
    }

    static func pow10(_ n: Int) -> Double {
        var r = 1.0
        for _ in 0..<Swift.min(Swift.abs(n), 400) { r *= 10 }
        return n < 0 ? 1 / r : r
    }
}
