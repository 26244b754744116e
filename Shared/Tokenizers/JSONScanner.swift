// A cursor over UTF-8 bytes that skips whitespace, checks punctuation and reads strings
// (escapes resolved) and integers: what FlatJSON.swift reads GPT-2's encoder.json with (an
// object of integers, in a few milliseconds; any other JSON document goes to OrderedJSON).
// Also the line and column of a byte offset, for messages about any JSON file.

// MARK: - Scanner

/// A position in a JSON text and the primitive reads. Every read either succeeds and moves past
/// what it read, or throws a `JSONScanner.Failure` naming the byte offset.
///
///     var scanner = JSONScanner(text)          // text: UnsafeBufferPointer<UInt8> of `"a\u0120b" 42`
///     var key: [UInt8] = []
///     try scanner.expect(0x22)                 // the opening quote
///     try scanner.readString(into: &key)       // key == [0x61, 0xC4, 0xA0, 0x62]
///     try scanner.readInteger()                // 42
struct JSONScanner {
    /// Where and why the text is not the JSON expected.
    struct Failure: Error {
        let message: String
        let offset: Int
    }

    let text: UnsafeBufferPointer<UInt8>
    /// The offset of the next byte to read.
    var position = 0

    init(_ text: UnsafeBufferPointer<UInt8>) { self.text = text }

    var atEnd: Bool { position >= text.count }

    /// The next byte, or nil at the end.
    var peek: UInt8? { position < text.count ? text[position] : nil }

    func fail(_ message: String) -> Failure { Failure(message: message, offset: position) }

    mutating func skipWhitespace() {
        while position < text.count {
            let c = text[position]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            position += 1
        }
    }

    /// Skips whitespace, then reads the byte `c` or throws.
    mutating func expect(_ c: UInt8) throws {
        skipWhitespace()
        guard position < text.count, text[position] == c else {
            throw fail("expected \"\(Character(Unicode.Scalar(c)))\"")
        }
        position += 1
    }

    private mutating func hex4() throws -> UInt32 {
        guard position + 4 <= text.count else { throw fail("incomplete \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = text[position]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: throw fail("bad \\u escape")
            }
            v = v << 4 | UInt32(d)
            position += 1
        }
        return v
    }

    /// Reads a string's bytes into `out` (emptied first), from just after its opening quote to
    /// just after its closing quote. The text must be valid UTF-8 (it is checked once, before).
    mutating func readString(into out: inout [UInt8]) throws {
        out.removeAll(keepingCapacity: true)
        while true {
            // the run of plain bytes up to a quote, a backslash or a control character
            let runStart = position
            while position < text.count {
                let c = text[position]
                if c == 0x22 || c == 0x5C || c < 0x20 { break }
                position += 1
            }
            if position > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<position])) }
            guard position < text.count else { throw fail("unterminated string") }
            let c = text[position]
            position += 1
            if c == 0x22 { return }                                        // closing quote
            if c < 0x20 { position -= 1; throw fail("control character in a string") }
            guard position < text.count else { throw fail("unterminated string") }
            let e = text[position]
            position += 1
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)                           // \" \\ \/
            case 0x62: out.append(0x08)                                    // \b
            case 0x66: out.append(0x0C)                                    // \f
            case 0x6E: out.append(0x0A)                                    // \n
            case 0x72: out.append(0x0D)                                    // \r
            case 0x74: out.append(0x09)                                    // \t
            case 0x75:                                                     // \uXXXX, maybe a surrogate pair
                var v = try hex4()
                if (0xD800..<0xDC00).contains(v) {
                    guard position + 2 <= text.count, text[position] == 0x5C, text[position + 1] == 0x75 else {
                        throw fail("lone surrogate")
                    }
                    position += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("lone surrogate") }
                    v = 0x10000 + (v - 0xD800) << 10 + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(v) else { throw fail("lone surrogate") }
                out.append(contentsOf: UTF8.encode(scalar)!)
            default:
                position -= 1
                throw fail("bad escape")
            }
        }
    }

    /// Reads an integer (optional minus sign, digits; no fraction or exponent).
    mutating func readInteger() throws -> Int {
        skipWhitespace()
        let negative = peek == 0x2D
        if negative { position += 1 }
        var value = 0, digits = 0
        while position < text.count, (0x30...0x39).contains(text[position]) {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(text[position] - 0x30))
            guard !o1 && !o2 else { throw fail("integer too large") }
            value = sum
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw fail("expected an integer") }
        if let c = peek, c == 0x2E || c == 0x65 || c == 0x45 { throw fail("expected an integer") }
        return negative ? -value : value
    }

    /// The 1-based line and column of a byte offset, for messages.
    static func lineAndColumn(of offset: Int, in text: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0
        for i in 0..<min(offset, text.count) where text[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return (line, offset - lineStart + 1)
    }
}
