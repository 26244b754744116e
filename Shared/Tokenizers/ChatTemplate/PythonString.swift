// Python's str operations, on Unicode code points. Swift's String compares by canonical
// equivalence and counts "\r\n" as one Character; Python compares and counts code points.
// A template that slices, strips or compares text must get Python's answer, so everything here
// works on `unicodeScalars`.

enum PyString {
    typealias Scalars = [Unicode.Scalar]

    static func scalars(_ s: String) -> Scalars { Array(s.unicodeScalars) }

    static func string<C: Collection>(_ scalars: C) -> String where C.Element == Unicode.Scalar {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    static func equal(_ a: String, _ b: String) -> Bool { a.unicodeScalars.elementsEqual(b.unicodeScalars) }

    /// Python's `a < b` on strings: code point by code point.
    static func less(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
    }

    static func length(_ s: String) -> Int { s.unicodeScalars.count }

    // MARK: Character classes

    /// Python's `str.isspace()` for one code point (also what `\s` matches in `re`).
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// Python's `str.isprintable()` for one code point (what `repr` leaves unescaped).
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        if c == " " { return true }
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator: return false
        default: return true
        }
    }

    static func isCased(_ c: Unicode.Scalar) -> Bool { c.properties.isCased }

    // MARK: Case

    static func upper(_ s: String) -> String { string(s.unicodeScalars.flatMap { $0.properties.uppercaseMapping.unicodeScalars }) }

    /// The lower case of `a[i]` in its context: a capital sigma at the end of a word becomes
    /// the final sigma ς, as Python (and Unicode's Final_Sigma rule) has it.
    static func lowerMapping(_ a: Scalars, at i: Int) -> String {
        let c = a[i]
        guard c == "\u{3A3}" else { return c.properties.lowercaseMapping }
        var j = i - 1
        while j >= 0, a[j].properties.isCaseIgnorable { j -= 1 }
        var final = j >= 0 && a[j].properties.isCased
        if final {
            var k = i + 1
            while k < a.count, a[k].properties.isCaseIgnorable { k += 1 }
            final = k == a.count || !a[k].properties.isCased
        }
        return final ? "\u{3C2}" : "\u{3C3}"
    }

    static func lower(_ s: String) -> String {
        let a = scalars(s)
        return a.indices.map { lowerMapping(a, at: $0) }.joined()
    }

    /// Python's `str.capitalize()`: the first code point title-cased, the rest lower-cased.
    static func capitalize(_ s: String) -> String {
        let a = scalars(s)
        guard let first = a.first else { return s }
        return first.properties.titlecaseMapping + a.indices.dropFirst().map { lowerMapping(a, at: $0) }.joined()
    }

    /// Python's `str.title()`: a cased letter after an uncased one is title-cased, others lowered.
    static func title(_ s: String) -> String {
        let a = scalars(s)
        var out = ""
        var previousCased = false
        for i in a.indices {
            out += previousCased ? lowerMapping(a, at: i) : a[i].properties.titlecaseMapping
            previousCased = isCased(a[i])
        }
        return out
    }

    // MARK: Strip, split, replace

    /// Python's `strip`, `lstrip`, `rstrip`: whitespace, or any of `chars`.
    static func strip(_ s: String, _ chars: String?, leading: Bool = true, trailing: Bool = true) -> String {
        let set = chars.map { Set($0.unicodeScalars.map(\.value)) }
        let remove: (Unicode.Scalar) -> Bool = { c in set.map { $0.contains(c.value) } ?? isWhitespace(c) }
        let a = scalars(s)
        var lo = 0, hi = a.count
        if leading { while lo < hi, remove(a[lo]) { lo += 1 } }
        if trailing { while hi > lo, remove(a[hi - 1]) { hi -= 1 } }
        return string(a[lo..<hi])
    }

    /// The start of each non-overlapping occurrence of `needle` in `haystack`, left to right.
    static func occurrences(of needle: Scalars, in haystack: Scalars, limit: Int = .max) -> [Int] {
        var found: [Int] = []
        guard !needle.isEmpty else { return Array(0...haystack.count).prefix(limit).map { $0 } }
        var i = 0
        while i + needle.count <= haystack.count, found.count < limit {
            if haystack[i] == needle[0] && haystack[i..<i + needle.count].elementsEqual(needle) {
                found.append(i)
                i += needle.count
            } else {
                i += 1
            }
        }
        return found
    }

    /// Python's `str.find`: the code point index of the first occurrence, or -1.
    static func find(_ s: String, _ sub: String, fromRight: Bool = false) -> Int {
        let a = scalars(s), b = scalars(sub)
        guard b.count <= a.count else { return -1 }
        let starts = Array(0...(a.count - b.count))
        for i in fromRight ? starts.reversed() : starts where a[i..<i + b.count].elementsEqual(b) { return i }
        return -1
    }

    /// Python's `str.count(sub)`.
    static func count(_ s: String, _ sub: String) -> Int { occurrences(of: scalars(sub), in: scalars(s)).count }

    /// Python's `str.replace(old, new, count)` (count < 0: all).
    static func replace(_ s: String, _ old: String, _ new: String, count: Int = -1) -> String {
        let a = scalars(s), o = scalars(old), n = scalars(new)
        let starts = occurrences(of: o, in: a, limit: count < 0 ? .max : count)
        var out: Scalars = []
        var i = 0
        for start in starts {
            out += a[i..<start]
            out += n
            i = start + o.count
        }
        out += a[min(i, a.count)...]
        return string(out)
    }

    /// Python's `str.split(sep, maxsplit)`; `sep == nil` splits on runs of whitespace.
    static func split(_ s: String, _ sep: String?, maxsplit: Int = -1) throws -> [String] {
        let a = scalars(s)
        guard let sep else {
            var parts: [String] = []
            var i = 0
            while true {
                while i < a.count, isWhitespace(a[i]) { i += 1 }
                if i == a.count { break }
                if maxsplit >= 0 && parts.count == maxsplit {
                    var end = a.count
                    while end > i, isWhitespace(a[end - 1]) { end -= 1 }
                    parts.append(string(a[i..<end]))
                    break
                }
                let start = i
                while i < a.count, !isWhitespace(a[i]) { i += 1 }
                parts.append(string(a[start..<i]))
            }
            return parts
        }
        let b = scalars(sep)
        guard !b.isEmpty else { throw JinjaError.runtime("empty separator") }
        var parts: [String] = []
        var i = 0
        for start in occurrences(of: b, in: a, limit: maxsplit < 0 ? .max : maxsplit) {
            parts.append(string(a[i..<start]))
            i = start + b.count
        }
        parts.append(string(a[i...]))
        return parts
    }

    /// Python's `str.rsplit(sep, maxsplit)`.
    static func rsplit(_ s: String, _ sep: String?, maxsplit: Int = -1) throws -> [String] {
        if maxsplit < 0 { return try split(s, sep) }
        let reversedParts = try split(string(s.unicodeScalars.reversed()), sep.map { string($0.unicodeScalars.reversed()) }, maxsplit: maxsplit)
        return reversedParts.reversed().map { string($0.unicodeScalars.reversed()) }
    }

    /// Python's `str.splitlines(keepends)`: \n, \r, \r\n, \v, \f, \x1c-\x1e, \x85, \u2028, \u2029.
    static func splitlines(_ s: String, keepends: Bool = false) -> [String] {
        let a = scalars(s)
        var lines: [String] = []
        var start = 0, i = 0
        while i < a.count {
            let c = a[i].value
            var end = i + 1
            switch c {
            case 0x0A, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029: break
            case 0x0D: if i + 1 < a.count, a[i + 1] == "\n" { end = i + 2 }
            default: i += 1; continue
            }
            lines.append(string(a[start..<(keepends ? end : i)]))
            start = end
            i = end
        }
        if start < a.count { lines.append(string(a[start...])) }
        return lines
    }

    // MARK: repr

    /// Python's `repr(str)`: single quotes unless the text has ' and no ", escapes for the rest.
    static func repr(_ s: String) -> String {
        let quote: Unicode.Scalar = s.unicodeScalars.contains("'") && !s.unicodeScalars.contains("\"") ? "\"" : "'"
        var out = String.UnicodeScalarView()
        out.append(quote)
        for c in s.unicodeScalars {
            switch c {
            case quote, "\\": out.append("\\"); out.append(c)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            default:
                if c.value < 0x20 || c.value == 0x7F || (c.value > 0x7F && !isPrintable(c)) {
                    let hex = String(c.value, radix: 16)
                    let (prefix, width) = c.value <= 0xFF ? ("\\x", 2) : c.value <= 0xFFFF ? ("\\u", 4) : ("\\U", 8)
                    out.append(contentsOf: (prefix + String(repeating: "0", count: width - hex.count) + hex).unicodeScalars)
                } else {
                    out.append(c)
                }
            }
        }
        out.append(quote)
        return String(out)
    }

    /// Python's `repr(float)`: the shortest text that reads back the same (Swift's
    /// `description` follows the same rules: exponent below 1e-4 and from 1e16).
    static func floatRepr(_ f: Double) -> String { f.description }
}
