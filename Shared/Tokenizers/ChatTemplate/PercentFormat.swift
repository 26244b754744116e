// Python's printf-style formatting, `'%s: %d' % (name, n)`, for the `%` operator on a string
// and the `format` filter: conversions s, r, d, i, f and %%, with flags, width and precision.
// Other conversions are refused by name rather than guessed.

import Foundation

enum PercentFormat {
    /// `format % arguments` (a tuple is the argument list; a dict serves `%(name)s`).
    static func format(_ format: String, _ arguments: JinjaValue) throws -> String {
        var positional: [JinjaValue]
        let mapping: JinjaDict?
        switch arguments {
        case .tuple(let a): positional = a; mapping = nil
        case .dict(let d): positional = [arguments]; mapping = d
        default: positional = [arguments]; mapping = nil
        }
        let f = PyString.scalars(format)
        var out = ""
        var i = 0, next = 0
        func take() throws -> JinjaValue {
            guard next < positional.count else { throw JinjaError.runtime("not enough arguments for format string") }
            defer { next += 1 }
            return positional[next]
        }
        while i < f.count {
            guard f[i] == "%" else { out.unicodeScalars.append(f[i]); i += 1; continue }
            i += 1
            guard i < f.count else { throw JinjaError.runtime("incomplete format") }
            var value: JinjaValue?
            if f[i] == "(" {
                guard let mapping else { throw JinjaError.runtime("format requires a mapping") }
                guard let close = f[i...].firstIndex(of: ")") else { throw JinjaError.runtime("incomplete format key") }
                let key = PyString.string(f[(i + 1)..<close])
                guard let v = mapping[key] else { throw JinjaError.runtime("KeyError: \(PyString.repr(key))") }
                value = v
                i = close + 1
            }
            var flags = Set<Unicode.Scalar>()
            while i < f.count, "-+ #0".unicodeScalars.contains(f[i]) { flags.insert(f[i]); i += 1 }
            var width = 0
            while i < f.count, let d = Int(String(f[i])) { width = width * 10 + d; i += 1; if width > 10_000 { throw JinjaError.unsupported("a field wider than 10000") } }
            var precision: Int?
            if i < f.count, f[i] == "." {
                i += 1
                var p = 0
                while i < f.count, let d = Int(String(f[i])) { p = p * 10 + d; i += 1; if p > 1000 { throw JinjaError.unsupported("a precision above 1000") } }
                precision = p
            }
            guard i < f.count else { throw JinjaError.runtime("incomplete format") }
            let conversion = f[i]
            i += 1
            if conversion == "%" { out += "%"; continue }
            let v = try value ?? take()
            var text: String
            var isNumber = false
            switch conversion {
            case "s": text = try v.str()
            case "r": text = try v.repr()
            case "d", "i":
                isNumber = true
                switch JinjaOperators.number(v) {
                case .int(let n)?: text = String(n)
                case .float(let x)?:
                    guard x.isFinite, let n = Int(exactly: x.rounded(.towardZero)) else { throw JinjaError.runtime("cannot convert float to integer") }
                    text = String(n)
                case nil: throw JinjaError.runtime("%\(conversion) format: a real number is required, not \(v.typeName)")
                }
            case "f", "F":
                isNumber = true
                guard let x = JinjaOperators.number(v)?.double else {
                    throw JinjaError.runtime("must be real number, not \(v.typeName)")
                }
                text = x.isNaN ? "nan" : x.isInfinite ? (x < 0 ? "-inf" : "inf") : String(format: "%.\(precision ?? 6)f", x)
                if conversion == "F" { text = text.uppercased() }
            default:
                throw JinjaError.unsupported("the %-format conversion '%\(conversion)'")
            }
            if conversion == "s" || conversion == "r", let precision { text = PyString.string(text.unicodeScalars.prefix(precision)) }
            if isNumber && !text.hasPrefix("-") {
                if flags.contains("+") { text = "+" + text } else if flags.contains(" ") { text = " " + text }
            }
            let pad = width - text.unicodeScalars.count
            if pad > 0 {
                if flags.contains("-") {
                    text += String(repeating: " ", count: pad)
                } else if isNumber && flags.contains("0") {
                    let sign = text.first.map { "+- ".contains($0) } == true ? String(text.removeFirst()) : ""
                    text = sign + String(repeating: "0", count: pad) + text
                } else {
                    text = String(repeating: " ", count: pad) + text
                }
            }
            out += text
        }
        if mapping == nil && next < positional.count {
            throw JinjaError.runtime("not all arguments converted during string formatting")
        }
        return out
    }
}
