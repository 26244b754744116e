// Python's `int(text, base)`, `float(text)` and `round(x, n)`, for the `int`, `float` and
// `round` filters: surrounding whitespace allowed, `_` between digits allowed, "inf" and "nan"
// for floats, round-half-to-even on the exact binary value.

import Foundation

enum PythonNumbers {
    /// Python's `int(text, base)`, or nil where Python raises ValueError.
    static func int(_ text: String, base: Int = 10) -> Int? {
        var s = Substring(PyString.strip(text, nil))
        var negative = false
        if let c = s.first, c == "+" || c == "-" { negative = c == "-"; s = s.dropFirst() }
        var radix = base
        let lower = s.lowercased()
        for (prefix, r) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(prefix) && (base == r || base == 0) {
            radix = r
            s = s.dropFirst(2)
            if s.first == "_" { s = s.dropFirst() }
        }
        if radix == 0 {
            radix = 10
            if s.count > 1, s.first == "0", s.contains(where: { $0 != "0" && $0 != "_" }) { return nil }   // int("012", 0)
        }
        guard (2...36).contains(radix), !s.isEmpty, s.first != "_", s.last != "_", !s.contains("__") else { return nil }
        guard let magnitude = Int(s.replacingOccurrences(of: "_", with: ""), radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// Python's `float(text)`, or nil where Python raises ValueError.
    static func float(_ text: String) -> Double? {
        var s = PyString.strip(text, nil).lowercased()
        var sign = 1.0
        if let c = s.first, c == "+" || c == "-" { sign = c == "-" ? -1 : 1; s.removeFirst() }
        if s == "inf" || s == "infinity" { return sign * .infinity }
        if s == "nan" { return .nan }
        // digits[.digits][e[+-]digits], digits possibly with single underscores between them
        let chars = Array(s)
        var i = 0
        func digits() -> Bool {
            let start = i
            while i < chars.count, chars[i].isASCII, chars[i].isNumber || (chars[i] == "_" && i > start && i + 1 < chars.count && chars[i + 1].isASCII && chars[i + 1].isNumber) { i += 1 }
            return i > start
        }
        let hasInteger = digits()
        var hasFraction = false
        if i < chars.count, chars[i] == "." { i += 1; hasFraction = digits() }
        guard hasInteger || hasFraction else { return nil }
        if i < chars.count, chars[i] == "e" {
            i += 1
            if i < chars.count, chars[i] == "+" || chars[i] == "-" { i += 1 }
            guard digits() else { return nil }
        }
        guard i == chars.count, let v = Double(s.replacingOccurrences(of: "_", with: "")) else { return nil }
        return sign * v
    }

    /// Python's `round(x, n)` for a float: the decimal nearest the exact binary value, ties to even.
    static func round(_ x: Double, _ n: Int) -> Double {
        guard x.isFinite else { return x }
        if n >= 0 {
            guard n <= 320 else { return x }
            return Double(String(format: "%.\(n)f", x)) ?? x
        }
        let scale = pow(10.0, Double(-n))
        guard scale.isFinite else { return 0 * x }
        return (x / scale).rounded(.toNearestOrEven) * scale
    }
}
