// Python's operators on template values: equality (1 == 1.0 == True), ordering, arithmetic
// with Python's types and errors ('a' + 1 fails, 7 // -2 is -4, 'ab' * 2 is 'abab'), `in`,
// and iteration. An undefined operand fails with jinja2's message, except where jinja2's
// Undefined allows it (==, !=, iteration, `in`).

import Foundation

enum JinjaOperators {
    /// The most elements a string or list made by `*` may have (jinja2's sandbox has no such
    /// limit, but a template that asks for more is broken, and must not exhaust memory).
    static let maxRepetition = 10_000_000

    // MARK: Equality and order

    /// Python's `a == b`.
    static func equal(_ a: JinjaValue, _ b: JinjaValue) -> Bool {
        if let x = number(a), let y = number(b) { return x.isEqual(to: y) }
        switch (a, b) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(x), .string(y)): return PyString.equal(x, y)
        case let (.list(x), .list(y)), let (.tuple(x), .tuple(y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case let (.dict(x), .dict(y)):
            return x.count == y.count && x.entries.allSatisfy { e in y[e.key].map { equal($0, e.value) } ?? false }
        case let (.view(x), .view(y)):
            switch (x.kind, y.kind) {
            case (.range, .range): return x.elements.count == y.elements.count && zip(x.elements, y.elements).allSatisfy { equal($0, $1) }
            case (.keys, .keys), (.items, .items):
                return x.elements.count == y.elements.count && x.elements.allSatisfy { e in y.elements.contains { equal($0, e) } }
            default: return false
            }
        case let (.iterator(x), .iterator(y)): return x === y
        case let (.object(x), .object(y)): return x === y
        default: return false
        }
    }

    /// A number as Python compares it: bool and int exactly, float as a double.
    enum Number {
        case int(Int)
        case float(Double)

        func isEqual(to other: Number) -> Bool {
            switch (self, other) {
            case let (.int(a), .int(b)): return a == b
            case let (.float(a), .float(b)): return a == b
            case let (.int(a), .float(b)), let (.float(b), .int(a)): return Double(exactly: a).map { $0 == b } ?? false
            }
        }

        func isLess(than other: Number) -> Bool {
            switch (self, other) {
            case let (.int(a), .int(b)): return a < b
            case let (.float(a), .float(b)): return a < b
            case let (.int(a), .float(b)): return Double(a) < b
            case let (.float(a), .int(b)): return a < Double(b)
            }
        }

        var double: Double {
            switch self {
            case .int(let i): return Double(i)
            case .float(let f): return f
            }
        }
    }

    static func number(_ v: JinjaValue) -> Number? {
        switch v {
        case .bool(let b): return .int(b ? 1 : 0)
        case .int(let i): return .int(i)
        case .float(let f): return .float(f)
        default: return nil
        }
    }

    /// Python's `a < b` (numbers, strings by code point, lists and tuples element-wise).
    static func less(_ a: JinjaValue, _ b: JinjaValue, op: String = "<") throws -> Bool {
        if case .undefined(let u) = a { throw JinjaError.runtime(u.message) }
        if case .undefined(let u) = b { throw JinjaError.runtime(u.message) }
        if let x = number(a), let y = number(b) { return x.isLess(than: y) }
        switch (a, b) {
        case let (.string(x), .string(y)): return PyString.less(x, y)
        case let (.list(x), .list(y)), let (.tuple(x), .tuple(y)):
            for (p, q) in zip(x, y) where !equal(p, q) { return try less(p, q, op: op) }
            return x.count < y.count
        default:
            throw JinjaError.runtime("'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    /// Fails, with Python's message, unless `a` and `b` can be ordered.
    static func checkOrderable(_ a: JinjaValue, _ b: JinjaValue, _ op: String) throws {
        try failUndefined(a, b)
        if number(a) != nil && number(b) != nil { return }
        switch (a, b) {
        case (.string, .string), (.list, .list), (.tuple, .tuple): return
        default: throw JinjaError.runtime("'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    /// One comparison of a chain: ==, !=, <, <=, >, >=, in, not in.
    static func compare(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> Bool {
        if ["<", "<=", ">", ">="].contains(op) { try checkOrderable(a, b, op) }
        switch op {
        case "==": return equal(a, b)
        case "!=": return !equal(a, b)
        case "<": return try less(a, b, op: op)
        case ">": return try less(b, a, op: op)
        case "<=": return try !less(b, a, op: op) && (try less(a, b, op: op) || equal(a, b))
        case ">=": return try !less(a, b, op: op) && (try less(b, a, op: op) || equal(a, b))
        case "in": return try contains(b, a)
        default: return try !contains(b, a)                                   // not in
        }
    }

    /// Python's `item in container`.
    static func contains(_ container: JinjaValue, _ item: JinjaValue) throws -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let sub) = item else {
                if case .undefined(let u) = item { throw JinjaError.runtime(u.message) }
                throw JinjaError.runtime("'in <string>' requires string as left operand, not \(item.typeName)")
            }
            return PyString.find(s, sub) >= 0
        case .dict(let d): return d[item] != nil
        default: return try elements(of: container).contains { equal($0, item) }
        }
    }

    // MARK: Iteration

    /// What `for x in value` visits: a string's characters, a dict's keys, nothing for undefined.
    static func elements(of value: JinjaValue) throws -> [JinjaValue] {
        switch value {
        case .undefined: return []
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .list(let a), .tuple(let a): return a
        case .dict(let d): return d.keys
        case .view(let v): return v.elements
        case .iterator(let it): return it.drain()
        default: throw JinjaError.runtime("'\(value.typeName)' object is not iterable")
        }
    }

    /// Python's `len(value)`.
    static func length(of value: JinjaValue) throws -> Int {
        switch value {
        case .undefined: return 0
        case .string(let s): return PyString.length(s)
        case .list(let a), .tuple(let a): return a.count
        case .dict(let d): return d.count
        case .view(let v): return v.elements.count
        default: throw JinjaError.runtime("object of type '\(value.typeName)' has no len()")
        }
    }

    // MARK: Arithmetic

    static func failUndefined(_ values: JinjaValue...) throws {
        for v in values { if case .undefined(let u) = v { throw JinjaError.runtime(u.message) } }
    }

    static func unsupported(_ op: String, _ a: JinjaValue, _ b: JinjaValue) -> JinjaError {
        .runtime("unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
    }

    static func negate(_ v: JinjaValue, minus: Bool = true) throws -> JinjaValue {
        try failUndefined(v)
        switch number(v) {
        case .int(let i)?:
            guard minus else { return .int(i) }
            guard i != .min else { throw JinjaError.unsupported("integers beyond 64 bits") }
            return .int(-i)
        case .float(let f)?: return .float(minus ? -f : f)
        case nil: throw JinjaError.runtime("bad operand type for unary \(minus ? "-" : "+"): '\(v.typeName)'")
        }
    }

    static func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> JinjaValue {
        if r.overflow { throw JinjaError.unsupported("integers beyond 64 bits") }
        return .int(r.partialValue)
    }

    /// `a op b` for + - * / // % ** and ~.
    static func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> JinjaValue {
        if op == "~" { return .string(try a.str() + b.str()) }                 // undefined prints as ""
        try failUndefined(a, b)
        if let x = number(a), let y = number(b) { return try arithmetic(op, x, y, a, b) }
        switch (op, a, b) {
        case let ("+", .string(x), .string(y)): return .string(x + y)
        case let ("+", .list(x), .list(y)): return .list(x + y)
        case let ("+", .tuple(x), .tuple(y)): return .tuple(x + y)
        case ("+", .string, _), ("+", .list, _), ("+", .tuple, _):
            throw JinjaError.runtime("can only concatenate \(a.typeName) (not \"\(b.typeName)\") to \(a.typeName)")
        case ("*", _, _):
            if case .int(let n)? = number(b) { return try repeated(a, n) ?? { throw unsupported("*", a, b) }() }
            if case .int(let n)? = number(a) { return try repeated(b, n) ?? { throw unsupported("*", a, b) }() }
            throw JinjaError.runtime("can't multiply sequence by non-int of type '\(b.typeName)'")
        case let ("%", .string(format), _): return .string(try PercentFormat.format(format, b))
        default: throw unsupported(op, a, b)
        }
    }

    /// `sequence * n` for a string, list or tuple (nil for other values).
    static func repeated(_ v: JinjaValue, _ n: Int) throws -> JinjaValue? {
        let count = max(n, 0)
        func check(_ size: Int) throws {
            if size > 0 && count > maxRepetition / size {
                throw JinjaError.unsupported("a repetition longer than \(maxRepetition) elements")
            }
        }
        switch v {
        case .string(let s): try check(s.unicodeScalars.count); return .string(String(repeating: s, count: count))
        case .list(let a): try check(a.count); return .list(Array([[JinjaValue]](repeating: a, count: count).joined()))
        case .tuple(let a): try check(a.count); return .tuple(Array([[JinjaValue]](repeating: a, count: count).joined()))
        default: return nil
        }
    }

    static func arithmetic(_ op: String, _ x: Number, _ y: Number, _ a: JinjaValue, _ b: JinjaValue) throws -> JinjaValue {
        if case .int(let i) = x, case .int(let j) = y {
            switch op {
            case "+": return try checked(i.addingReportingOverflow(j))
            case "-": return try checked(i.subtractingReportingOverflow(j))
            case "*": return try checked(i.multipliedReportingOverflow(by: j))
            case "/":
                guard j != 0 else { throw JinjaError.runtime("division by zero") }
                return .float(Double(i) / Double(j))
            case "//", "%":
                guard j != 0 else { throw JinjaError.runtime("integer division or modulo by zero") }
                guard !(i == .min && j == -1) else { throw JinjaError.unsupported("integers beyond 64 bits") }
                var q = i / j, r = i % j
                if r != 0 && ((r < 0) != (j < 0)) { q -= 1; r += j }          // floor, as Python
                return .int(op == "//" ? q : r)
            case "**":
                if j < 0 { return .float(pow(Double(i), Double(j))) }
                var result = 1, base = i, e = j
                while e > 0 {
                    if e & 1 == 1 { result = try checkedInt(result.multipliedReportingOverflow(by: base)) }
                    e >>= 1
                    if e > 0 { base = try checkedInt(base.multipliedReportingOverflow(by: base)) }
                }
                return .int(result)
            default: throw unsupported(op, a, b)
            }
        }
        let p = x.double, q = y.double
        switch op {
        case "+": return .float(p + q)
        case "-": return .float(p - q)
        case "*": return .float(p * q)
        case "/":
            guard q != 0 else { throw JinjaError.runtime("float division by zero") }
            return .float(p / q)
        case "//", "%":
            guard q != 0 else { throw JinjaError.runtime(op == "//" ? "float floor division by zero" : "float modulo") }
            var mod = fmod(p, q)
            var div = (p - mod) / q
            if mod != 0 {
                if (q < 0) != (mod < 0) { mod += q; div -= 1 }
            } else {
                mod = q < 0 ? -0.0 : 0.0
            }
            if op == "%" { return .float(mod) }
            var floorDiv = div.rounded(.down)
            if div - floorDiv > 0.5 { floorDiv += 1 }
            return .float(div == 0 ? (p / q < 0 ? -0.0 : 0.0) : floorDiv)
        case "**":
            if p == 0 && q < 0 { throw JinjaError.runtime("0.0 cannot be raised to a negative power") }
            if p < 0 && q != q.rounded() { throw JinjaError.unsupported("a negative number to a fractional power (a complex number)") }
            return .float(pow(p, q))
        default: throw unsupported(op, a, b)
        }
    }

    static func checkedInt(_ r: (partialValue: Int, overflow: Bool)) throws -> Int {
        if r.overflow { throw JinjaError.unsupported("integers beyond 64 bits") }
        return r.partialValue
    }
}
