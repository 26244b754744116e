// Python's `json.dumps`, which Hugging Face's `tojson` filter calls:
//
//     def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
//         return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
//
// (jinja2's own `tojson` would escape <, >, & and ' for HTML; Hugging Face replaces it.) Keys keep
// their order, separators are ", " and ": " (",", ": " with an indent), floats print as Python's
// repr, NaN and infinities as NaN / Infinity, and text stays UTF-8 unless ensure_ascii is set.

enum PythonJSON {
    struct Options {
        var ensureASCII = false
        /// nil: one line. Otherwise the text repeated per level (an int n means n spaces).
        var indent: String?
        var itemSeparator: String
        var keySeparator = ": "
        var sortKeys = false

        init(ensureASCII: Bool = false, indent: String? = nil, separators: (String, String)? = nil, sortKeys: Bool = false) {
            self.ensureASCII = ensureASCII
            self.indent = indent
            self.itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
            if let s = separators { keySeparator = s.1 }
            self.sortKeys = sortKeys
        }
    }

    /// `json.dumps(value, …)`.
    static func dumps(_ value: JinjaValue, _ options: Options = Options()) throws -> String {
        var out = ""
        try write(value, options, level: 0, into: &out)
        return out
    }

    /// A JSON string literal, as `json.dumps(str)` writes it.
    static func quote(_ s: String, ensureASCII: Bool = false) -> String {
        var out = String.UnicodeScalarView()
        out.append("\"")
        func hex(_ v: UInt32) {
            let h = String(v, radix: 16)
            out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - h.count) + h).unicodeScalars)
        }
        for c in s.unicodeScalars {
            switch c {
            case "\"": out.append(contentsOf: "\\\"".unicodeScalars)
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case "\u{08}": out.append(contentsOf: "\\b".unicodeScalars)
            case "\u{0C}": out.append(contentsOf: "\\f".unicodeScalars)
            default:
                if c.value < 0x20 || (ensureASCII && c.value >= 0x7F) {
                    if c.value > 0xFFFF {
                        let v = c.value - 0x10000
                        hex(0xD800 + (v >> 10))
                        hex(0xDC00 + (v & 0x3FF))
                    } else {
                        hex(c.value)
                    }
                } else {
                    out.append(c)
                }
            }
        }
        out.append("\"")
        return String(out)
    }

    static func notSerializable(_ v: JinjaValue) -> JinjaError {
        .runtime("Object of type \(v.typeName) is not JSON serializable")
    }

    static func float(_ f: Double) -> String {
        if f.isNaN { return "NaN" }
        if f.isInfinite { return f < 0 ? "-Infinity" : "Infinity" }
        return PyString.floatRepr(f)
    }

    /// A dict key as JSON writes it: str as is; int, float, bool and None converted.
    static func key(_ k: JinjaValue) throws -> String {
        switch k {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .float(let f): return float(f)
        case .bool(let b): return b ? "true" : "false"
        case .none: return "null"
        default: throw JinjaError.runtime("keys must be str, int, float, bool or None, not \(k.typeName)")
        }
    }

    static func write(_ value: JinjaValue, _ o: Options, level: Int, into out: inout String) throws {
        guard level <= JinjaValue.maxDepth else {
            throw JinjaError.runtime("maximum recursion depth exceeded while encoding a JSON object (a value nests more than \(JinjaValue.maxDepth) levels)")
        }
        func newline(_ level: Int) {
            guard let indent = o.indent else { return }
            out += "\n" + String(repeating: indent, count: level)
        }
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .float(let f): out += float(f)
        case .string(let s): out += quote(s, ensureASCII: o.ensureASCII)
        case .list(let items), .tuple(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (k, item) in items.enumerated() {
                if k > 0 { out += o.itemSeparator }
                newline(level + 1)
                try write(item, o, level: level + 1, into: &out)
            }
            newline(level)
            out += "]"
        case .dict(let d):
            if d.count == 0 { out += "{}"; return }
            var entries = d.entries
            if o.sortKeys { entries = try JinjaSorting.stableSorted(entries) { try JinjaOperators.less($0.key, $1.key) } }
            out += "{"
            for (k, entry) in entries.enumerated() {
                if k > 0 { out += o.itemSeparator }
                newline(level + 1)
                out += quote(try key(entry.key), ensureASCII: o.ensureASCII) + o.keySeparator
                try write(entry.value, o, level: level + 1, into: &out)
            }
            newline(level)
            out += "}"
        default:
            throw notSerializable(value)
        }
    }
}
