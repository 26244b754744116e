// Tests, `value is name(arguments)`: jinja2's, with its definitions (`number` is true for a
// bool, `sequence` for a dict, `iterable` for undefined, as in Python).

enum JinjaTests {
    typealias Test = (JinjaValue, [JinjaValue]) throws -> Bool

    /// At parse time: an unknown test is jinja2's error.
    static func check(_ name: String, line: Int) throws {
        if all[name] != nil { return }
        throw JinjaError.syntax("No test named '\(name)'.", line: line)
    }

    static func apply(_ name: String, _ value: JinjaValue, _ args: JinjaArguments) throws -> Bool {
        guard let test = all[name] else { throw JinjaError.runtime("No test named '\(name)'.") }
        guard args.keyword.isEmpty else { throw JinjaError.unsupported("keyword arguments to the test '\(name)'") }
        return try test(value, args.positional)
    }

    static func argument(_ args: [JinjaValue], _ name: String) throws -> JinjaValue {
        guard args.count == 1 else { throw JinjaError.runtime("the test '\(name)' takes 1 argument (\(args.count) given)") }
        return args[0]
    }

    static func noArguments(_ args: [JinjaValue], _ name: String) throws {
        if !args.isEmpty { throw JinjaError.runtime("the test '\(name)' takes no arguments (\(args.count) given)") }
    }

    static func comparison(_ op: String) -> Test {
        { v, args in try JinjaOperators.compare(op, v, try argument(args, op)) }
    }

    static func kind(_ name: String, _ matches: @escaping (JinjaValue) -> Bool) -> Test {
        { v, args in try noArguments(args, name); return matches(v) }
    }

    static func integer(_ v: JinjaValue, _ test: String) throws -> Int {
        if case .undefined(let u) = v { throw JinjaError.runtime(u.message) }
        guard case .int(let i)? = JinjaOperators.number(v) else {
            throw JinjaError.unsupported("the test '\(test)' on a \(v.typeName)")
        }
        return i
    }

    static let all: [String: Test] = [
        "defined": kind("defined") { !$0.isUndefined },
        "undefined": kind("undefined") { $0.isUndefined },
        "none": kind("none") { $0.isNone },
        "boolean": kind("boolean") { if case .bool = $0 { return true } else { return false } },
        "true": kind("true") { if case .bool(true) = $0 { return true } else { return false } },
        "false": kind("false") { if case .bool(false) = $0 { return true } else { return false } },
        "integer": kind("integer") { if case .int = $0 { return true } else { return false } },
        "float": kind("float") { if case .float = $0 { return true } else { return false } },
        "number": kind("number") { JinjaOperators.number($0) != nil },
        "string": kind("string") { if case .string = $0 { return true } else { return false } },
        "mapping": kind("mapping") { if case .dict = $0 { return true } else { return false } },
        "sequence": kind("sequence") { v in
            switch v {
            case .undefined, .string, .list, .tuple, .dict: return true
            case .view(let view): if case .range = view.kind { return true } else { return false }
            default: return false
            }
        },
        "iterable": kind("iterable") { v in
            switch v {
            case .undefined, .string, .list, .tuple, .dict, .view, .iterator: return true
            default: return false
            }
        },
        "callable": kind("callable") { v in
            if case .object(let o) = v { return o is JinjaFunction }
            return false
        },
        "escaped": kind("escaped") { _ in false },                            // nothing here is Markup
        "lower": kind("lower") { v in
            let s = (try? v.str()) ?? ""
            return s.unicodeScalars.contains(where: PyString.isCased) && PyString.equal(PyString.lower(s), s)
        },
        "upper": kind("upper") { v in
            let s = (try? v.str()) ?? ""
            return s.unicodeScalars.contains(where: PyString.isCased) && PyString.equal(PyString.upper(s), s)
        },
        "odd": { v, args in try noArguments(args, "odd"); return try integer(v, "odd") & 1 == 1 },
        "even": { v, args in try noArguments(args, "even"); return try integer(v, "even") & 1 == 0 },
        "divisibleby": { v, args in
            let n = try integer(try argument(args, "divisibleby"), "divisibleby")
            guard n != 0 else { throw JinjaError.runtime("integer division or modulo by zero") }
            return try integer(v, "divisibleby") % n == 0
        },
        "in": { v, args in try JinjaOperators.contains(try argument(args, "in"), v) },
        "sameas": { v, args in
            let other = try argument(args, "sameas")
            switch (v, other) {
            case (.none, .none): return true
            case let (.bool(a), .bool(b)): return a == b
            case (.none, _), (_, .none), (.bool, _), (_, .bool): return false
            case let (.object(a), .object(b)): return a === b
            default: throw JinjaError.unsupported("'sameas' between a \(v.typeName) and a \(other.typeName) (Python object identity)")
            }
        },
        "filter": { v, args in
            try noArguments(args, "filter")
            guard case .string(let name) = v else { return false }
            return JinjaFilters.all[name] != nil
        },
        "test": { v, args in
            try noArguments(args, "test")
            guard case .string(let name) = v else { return false }
            return JinjaTests.all[name] != nil
        },
        "==": comparison("=="), "eq": comparison("=="), "equalto": comparison("=="),
        "!=": comparison("!="), "ne": comparison("!="),
        "<": comparison("<"), "lt": comparison("<"), "lessthan": comparison("<"),
        "<=": comparison("<="), "le": comparison("<="),
        ">": comparison(">"), "gt": comparison(">"), "greaterthan": comparison(">"),
        ">=": comparison(">="), "ge": comparison(">="),
    ]
}
