// The lexer: template text into tokens, with jinja2's whitespace rules as Hugging Face sets them.
//
//   - `{%- … %}` / `{{- … }}` / `{#- … #}` strip all whitespace before the tag; `… -%}` after it.
//   - trim_blocks: the first newline after a block or comment tag (`%}`, `#}`) is removed.
//   - lstrip_blocks: spaces and tabs from the start of a line up to a block or comment tag are
//     removed (not before `{{`). `{%+` turns this off for one tag, `+%}` turns trim_blocks off.
//   - Line endings become "\n", and one newline at the very end of the template is dropped.
//
// Inside a tag: names, numbers, strings and operators, as jinja2's regular expressions define them.

/// One token and the line it starts on.
struct JinjaToken {
    enum Kind: Equatable {
        case text(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case op(String)
        case eof
    }
    let kind: Kind
    let line: Int
}

struct JinjaLexer {
    typealias Scalars = [Unicode.Scalar]
    private let src: Scalars
    private var pos = 0
    private var line = 1
    /// Whether the text consumed last ended with a newline (jinja2's `line_starting`).
    private var lineStarting = true
    private var tokens: [JinjaToken] = []
    /// Open brackets inside the current tag: `}}` closes the tag only when none is open.
    private var brackets: [Unicode.Scalar] = []

    /// Tokenizes `source`, ending with `.eof`.
    static func tokenize(_ source: String) throws -> [JinjaToken] {
        var lexer = JinjaLexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    private init(source: String) {
        // "\r\n" and "\r" become "\n"; one final newline is dropped (keep_trailing_newline=False).
        var out: Scalars = []
        out.reserveCapacity(source.unicodeScalars.count)
        var previousCR = false
        for c in source.unicodeScalars {
            if c == "\n" && previousCR { previousCR = false; continue }
            previousCR = c == "\r"
            out.append(c == "\r" ? "\n" : c)
        }
        if out.last == "\n" { out.removeLast() }
        src = out
    }

    // MARK: Helpers

    private func at(_ i: Int) -> Unicode.Scalar? { i < src.count ? src[i] : nil }

    private func starts(_ literal: String, at i: Int) -> Bool {
        var k = i
        for c in literal.unicodeScalars {
            guard k < src.count, src[k] == c else { return false }
            k += 1
        }
        return true
    }

    private func skipWhitespace(from i: Int) -> Int {
        var k = i
        while k < src.count, PyString.isWhitespace(src[k]) { k += 1 }
        return k
    }

    private func fail(_ message: String) -> JinjaError { .syntax(message, line: line) }

    private mutating func emit(_ kind: JinjaToken.Kind) { tokens.append(JinjaToken(kind: kind, line: line)) }

    /// Moves to `end`, counting newlines, and remembers whether the consumed text ended a line.
    private mutating func advance(to end: Int) {
        for k in pos..<end where src[k] == "\n" { line += 1 }
        if end > pos { lineStarting = src[end - 1] == "\n" }
        pos = end
    }

    // MARK: Text between tags

    private enum TagKind { case variable, block, comment, raw }

    private mutating func run() throws {
        while pos < src.count {
            guard let (start, kind, sign, afterOpen) = nextTag() else {
                emitText(src[pos...])
                advance(to: src.count)
                break
            }
            var text = Array(src[pos..<start])
            if sign == "-" {
                while let last = text.last, PyString.isWhitespace(last) { text.removeLast() }
            } else if sign != "+" && kind != .variable {
                // lstrip_blocks: only whitespace between the line's start and the tag.
                let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                if (lineStart > 0 || lineStarting) && lineStart < text.count
                    && text[lineStart...].allSatisfy(PyString.isWhitespace) {
                    text.removeSubrange(lineStart...)
                }
            }
            emitText(text[...])
            advance(to: start)
            advance(to: afterOpen)
            switch kind {
            case .comment: try comment()
            case .raw: try raw()
            case .variable:
                emit(.variableBegin)
                try insideTag(block: false)
            case .block:
                emit(.blockBegin)
                try insideTag(block: true)
            }
        }
        emit(.eof)
    }

    private mutating func emitText(_ text: ArraySlice<Unicode.Scalar>) {
        if !text.isEmpty { emit(.text(PyString.string(text))) }
    }

    /// The next `{{`, `{%` or `{#` from `pos`: where it starts, its kind, its sign (`-`, `+` or
    /// nil) and where the tag's inside begins. `{% raw %}` is recognised whole.
    private func nextTag() -> (Int, TagKind, Unicode.Scalar?, Int)? {
        var j = pos
        while j + 1 < src.count {
            if src[j] == "{" {
                let c = src[j + 1]
                if c == "{" || c == "%" || c == "#" {
                    var k = j + 2
                    var sign: Unicode.Scalar?
                    if let s = at(k), s == "-" || s == "+" { sign = s; k += 1 }
                    if c == "%", let end = rawOpening(from: k) { return (j, .raw, sign, end) }
                    return (j, c == "{" ? .variable : c == "%" ? .block : .comment, sign, k)
                }
            }
            j += 1
        }
        return nil
    }

    /// If `\s*raw\s*(-%}\s*|%})` starts at `i`, where it ends.
    private func rawOpening(from i: Int) -> Int? {
        var k = skipWhitespace(from: i)
        guard starts("raw", at: k) else { return nil }
        k = skipWhitespace(from: k + 3)
        if starts("-%}", at: k) { return skipWhitespace(from: k + 3) }
        if starts("%}", at: k) { return k + 2 }
        return nil
    }

    /// A comment's end `+#}`, `-#}` (then whitespace) or `#}` (then one newline), searched from `pos`.
    private mutating func comment() throws {
        var k = pos
        while k < src.count {
            if starts("+#}", at: k) { advance(to: k + 3); return }
            if starts("-#}", at: k) { advance(to: skipWhitespace(from: k + 3)); return }
            if starts("#}", at: k) { advance(to: at(k + 2) == "\n" ? k + 3 : k + 2); return }
            k += 1
        }
        throw fail("Missing end of comment tag")
    }

    /// The verbatim text of `{% raw %}…{% endraw %}`.
    private mutating func raw() throws {
        var k = pos
        while k < src.count {
            if starts("{%", at: k) {
                var e = k + 2
                var sign: Unicode.Scalar?
                if let s = at(e), s == "-" || s == "+" { sign = s; e += 1 }
                e = skipWhitespace(from: e)
                if starts("endraw", at: e) {
                    e = skipWhitespace(from: e + 6)
                    var end: Int?
                    if starts("+%}", at: e) { end = e + 3 }
                    else if starts("-%}", at: e) { end = skipWhitespace(from: e + 3) }
                    else if starts("%}", at: e) { end = at(e + 2) == "\n" ? e + 3 : e + 2 }
                    if let end {
                        var text = Array(src[pos..<k])
                        if sign == "-" {
                            while let last = text.last, PyString.isWhitespace(last) { text.removeLast() }
                        } else if sign != "+" {
                            let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                            if (lineStart > 0 || lineStarting) && lineStart < text.count
                                && text[lineStart...].allSatisfy(PyString.isWhitespace) {
                                text.removeSubrange(lineStart...)
                            }
                        }
                        emitText(text[...])
                        advance(to: end)
                        return
                    }
                }
            }
            k += 1
        }
        throw fail("Missing end of raw directive")
    }

    // MARK: Inside a tag

    /// Tokens up to the tag's end (`%}` or `}}`, with their whitespace rules). At the end of the
    /// template inside a tag, stops: the parser reports the missing end.
    private mutating func insideTag(block: Bool) throws {
        brackets.removeAll()
        while pos < src.count {
            if brackets.isEmpty {
                if block {
                    if starts("+%}", at: pos) { advance(to: pos + 3); emit(.blockEnd); return }
                    if starts("-%}", at: pos) { emit(.blockEnd); advance(to: skipWhitespace(from: pos + 3)); return }
                    if starts("%}", at: pos) { emit(.blockEnd); advance(to: at(pos + 2) == "\n" ? pos + 3 : pos + 2); return }
                } else {
                    if starts("-}}", at: pos) { emit(.variableEnd); advance(to: skipWhitespace(from: pos + 3)); return }
                    if starts("}}", at: pos) { emit(.variableEnd); advance(to: pos + 2); return }
                }
            }
            let c = src[pos]
            if PyString.isWhitespace(c) { advance(to: skipWhitespace(from: pos)); continue }
            if let end = floatEnd(at: pos) {
                let text = PyString.string(src[pos..<end]).replacingOccurrences(of: "_", with: "")
                guard let v = Double(text) else { throw fail("bad number \(text)") }
                emit(.float(v))
                advance(to: end)
                continue
            }
            if let (end, value) = try integer(at: pos) {
                emit(.integer(value))
                advance(to: end)
                continue
            }
            if c == "_" || c.properties.isAlphabetic {
                var end = pos + 1
                while end < src.count, src[end] == "_" || src[end].properties.isAlphabetic || src[end].properties.numericType == .decimal
                        || src[end].properties.generalCategory == .nonspacingMark || src[end].properties.generalCategory == .spacingMark {
                    end += 1
                }
                emit(.name(PyString.string(src[pos..<end])))
                advance(to: end)
                continue
            }
            if c == "'" || c == "\"" {
                var end = pos + 1
                while end < src.count, src[end] != c {
                    end += src[end] == "\\" ? 2 : 1
                }
                guard end < src.count else { throw fail("unexpected char \(PyString.repr(String(c))) at \(pos)") }
                emit(.string(try Self.unescape(src[(pos + 1)..<end], line: line)))
                advance(to: end + 1)
                continue
            }
            try op(c)
        }
    }

    private mutating func op(_ c: Unicode.Scalar) throws {
        for two in ["//", "**", "==", "!=", ">=", "<="] where starts(two, at: pos) {
            emit(.op(two))
            advance(to: pos + 2)
            return
        }
        guard "+-/*%~[](){}><=.:|,;".unicodeScalars.contains(c) else {
            throw fail("unexpected char \(PyString.repr(String(c))) at \(pos)")
        }
        switch c {
        case "(", "[", "{": brackets.append(c == "(" ? ")" : c == "[" ? "]" : "}")
        case ")", "]", "}":
            guard let expected = brackets.popLast() else { throw fail("unexpected '\(c)'") }
            if expected != c { throw fail("unexpected '\(c)', expected '\(expected)'") }
        default: break
        }
        emit(.op(String(c)))
        advance(to: pos + 1)
    }

    // MARK: Numbers

    private func isDigit(_ i: Int) -> Bool { i < src.count && ("0"..."9").contains(src[i]) }

    /// The end of `(\d+_)*\d+` from `i`, or nil.
    private func digitRun(_ i: Int) -> Int? {
        guard isDigit(i) else { return nil }
        var k = i
        while true {
            while isDigit(k) { k += 1 }
            if at(k) == "_" && isDigit(k + 1) { k += 1 } else { return k }
        }
    }

    /// jinja2's float: digits, then a fraction and/or an exponent; not right after a ".".
    private func floatEnd(at i: Int) -> Int? {
        if i > 0 && src[i - 1] == "." { return nil }
        guard let intEnd = digitRun(i) else { return nil }
        func exponent(_ k: Int) -> Int? {
            guard let e = at(k), e == "e" || e == "E" else { return nil }
            var m = k + 1
            if let s = at(m), s == "+" || s == "-" { m += 1 }
            return digitRun(m)
        }
        if at(intEnd) == ".", let fracEnd = digitRun(intEnd + 1) {
            return exponent(fracEnd) ?? fracEnd
        }
        return exponent(intEnd)
    }

    /// jinja2's integer: 0b…, 0o…, 0x…, or decimal (a leading 0 only in 0, 00, …), `_` allowed.
    private func integer(at i: Int) throws -> (Int, Int)? {
        guard isDigit(i) else { return nil }
        func run(_ start: Int, _ isValid: (Unicode.Scalar) -> Bool) -> Int? {
            var k = start
            var any = false
            while true {
                if at(k) == "_", let n = at(k + 1), isValid(n) { k += 2; any = true; continue }
                if let n = at(k), isValid(n) { k += 1; any = true; continue }
                return any ? k : nil
            }
        }
        var end: Int, radix = 10, digitsStart = i
        if src[i] == "0", let p = at(i + 1), "bBoOxX".unicodeScalars.contains(p) {
            let valid: (Unicode.Scalar) -> Bool
            switch p {
            case "b", "B": radix = 2; valid = { $0 == "0" || $0 == "1" }
            case "o", "O": radix = 8; valid = { ("0"..."7").contains($0) }
            default: radix = 16; valid = { $0.properties.isASCIIHexDigit }
            }
            if let e = run(i + 2, valid) {
                end = e
                digitsStart = i + 2
            } else {
                end = run(i + 1, { $0 == "0" }) ?? i + 1
                radix = 10
            }
        } else if src[i] == "0" {
            end = run(i + 1, { $0 == "0" }) ?? i + 1
        } else {
            end = run(i + 1, { ("0"..."9").contains($0) }) ?? i + 1
        }
        let digits = PyString.string(src[digitsStart..<end]).replacingOccurrences(of: "_", with: "")
        guard let value = Int(digits, radix: radix) else { throw JinjaError.unsupported("integers beyond 64 bits (the literal \(digits))") }
        return (end, value)
    }

    // MARK: String literals

    /// A string literal's value, as jinja2 computes it: non-ASCII characters are first written
    /// as \x/\u/\U escapes (Python's "backslashreplace"), then Python's "unicode-escape" codec
    /// decodes the whole (so '\é' becomes the four characters \xe9, exactly as in jinja2).
    static func unescape(_ body: ArraySlice<Unicode.Scalar>, line: Int) throws -> String {
        var ascii: [Unicode.Scalar] = []
        for c in body {
            if c.value < 0x80 { ascii.append(c); continue }
            let hex = String(c.value, radix: 16)
            let (prefix, width) = c.value <= 0xFF ? ("\\x", 2) : c.value <= 0xFFFF ? ("\\u", 4) : ("\\U", 8)
            ascii += (prefix + String(repeating: "0", count: width - hex.count) + hex).unicodeScalars
        }
        var out = String.UnicodeScalarView()
        var i = 0
        func hexValue(_ count: Int, _ name: String) throws -> UInt32 {
            guard i + count <= ascii.count else { throw JinjaError.syntax("truncated \(name) escape", line: line) }
            let text = PyString.string(ascii[i..<i + count])
            guard text.unicodeScalars.allSatisfy(\.properties.isASCIIHexDigit), let v = UInt32(text, radix: 16) else {
                throw JinjaError.syntax("truncated \(name) escape", line: line)
            }
            i += count
            return v
        }
        while i < ascii.count {
            let c = ascii[i]
            i += 1
            guard c == "\\" else { out.append(c); continue }
            guard i < ascii.count else { throw JinjaError.syntax("\\ at end of string", line: line) }
            let e = ascii[i]
            i += 1
            switch e {
            case "\n": break                                         // a line continuation
            case "\\", "'", "\"": out.append(e)
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append("\u{0B}")
            case "0"..."7":
                var v = e.value - 0x30
                for _ in 0..<2 where i < ascii.count && ("0"..."7").contains(ascii[i]) {
                    v = v * 8 + ascii[i].value - 0x30
                    i += 1
                }
                out.append(Unicode.Scalar(v)!)
            case "x", "u", "U":
                let v = try hexValue(e == "x" ? 2 : e == "u" ? 4 : 8, e == "x" ? "\\xXX" : e == "u" ? "\\uXXXX" : "\\UXXXXXXXX")
                guard let scalar = Unicode.Scalar(v) else {
                    throw JinjaError.unsupported("the string escape \\\(e)\(String(v, radix: 16)) (a lone surrogate or beyond Unicode)")
                }
                out.append(scalar)
            case "N": throw JinjaError.unsupported("\\N{…} escapes in string literals")
            default: out.append("\\"); out.append(e)
            }
        }
        return String(out)
    }
}
