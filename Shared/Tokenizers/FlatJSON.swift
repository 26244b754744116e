// A reader for one kind of JSON only: an object whose values are all integers, such as GPT-2's
// encoder.json ({"!": 0, "\"": 1, …, "<|endoftext|>": 50256}). Foundation's JSONSerialization
// reads the same file too, but takes about half a second (it builds 50,257 NSString and
// NSNumber objects); this reads the bytes directly in a few milliseconds. On anything it does
// not accept, the loader asks JSONSerialization what is wrong, for a precise message.

// MARK: - Flat JSON object

enum FlatJSON {
    /// Where and why the text is not a flat object of integers.
    struct Failure: Error {
        let message: String
        let offset: Int
    }

    /// Calls `body` with each key (its UTF-8 bytes, escapes resolved) and integer value, in
    /// file order.
    ///
    ///     {"a": 1, "\u0120b": 2}   →  body([0x61], 1), body([0xC4, 0xA0, 0x62], 2)
    static func forEachIntegerMember(in text: UnsafeBufferPointer<UInt8>,
                                     _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        var i = 0
        var key: [UInt8] = []
        func fail(_ message: String) -> Failure { Failure(message: message, offset: i) }
        func skipWhitespace() {
            while i < text.count, text[i] == 0x20 || text[i] == 0x0A || text[i] == 0x0D || text[i] == 0x09 { i += 1 }
        }
        func expect(_ c: UInt8) throws {
            skipWhitespace()
            guard i < text.count, text[i] == c else { throw fail("expected \"\(Character(Unicode.Scalar(c)))\"") }
            i += 1
        }
        func hex4() throws -> UInt32 {
            guard i + 4 <= text.count else { throw fail("incomplete \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = text[i]
                let d: UInt8
                switch c {
                case 0x30...0x39: d = c - 0x30
                case 0x41...0x46: d = c - 0x41 + 10
                case 0x61...0x66: d = c - 0x61 + 10
                default: throw fail("bad \\u escape")
                }
                v = v << 4 | UInt32(d)
                i += 1
            }
            return v
        }
        /// A string's bytes into `key`, from just after its opening quote.
        func readString() throws {
            key.removeAll(keepingCapacity: true)
            while true {
                guard i < text.count else { throw fail("unterminated string") }
                let c = text[i]
                i += 1
                if c == 0x22 { return }                                  // closing quote
                if c < 0x20 { throw fail("control character in a string") }
                if c != 0x5C { key.append(c); continue }                 // not a backslash
                guard i < text.count else { throw fail("unterminated string") }
                let e = text[i]
                i += 1
                switch e {
                case 0x22, 0x5C, 0x2F: key.append(e)                     // \" \\ \/
                case 0x62: key.append(0x08)                              // \b
                case 0x66: key.append(0x0C)                              // \f
                case 0x6E: key.append(0x0A)                              // \n
                case 0x72: key.append(0x0D)                              // \r
                case 0x74: key.append(0x09)                              // \t
                case 0x75:                                               // \uXXXX, maybe a surrogate pair
                    var v = try hex4()
                    if (0xD800..<0xDC00).contains(v) {
                        guard i + 2 <= text.count, text[i] == 0x5C, text[i + 1] == 0x75 else { throw fail("lone surrogate") }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("lone surrogate") }
                        v = 0x10000 + (v - 0xD800) << 10 + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(v) else { throw fail("lone surrogate") }
                    key.append(contentsOf: UTF8.encode(scalar)!)
                default: throw fail("bad escape")
                }
            }
        }
        func readInteger() throws -> Int {
            skipWhitespace()
            let negative = i < text.count && text[i] == 0x2D
            if negative { i += 1 }
            var value = 0, digits = 0
            while i < text.count, (0x30...0x39).contains(text[i]) {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int(text[i] - 0x30))
                guard !o1 && !o2 else { throw fail("integer too large") }
                value = sum
                digits += 1
                i += 1
            }
            guard digits > 0 else { throw fail("expected an integer") }
            if i < text.count, text[i] == 0x2E || text[i] == 0x65 || text[i] == 0x45 { throw fail("expected an integer") }
            return negative ? -value : value
        }

        try expect(0x7B)                                                 // {
        skipWhitespace()
        if i < text.count && text[i] == 0x7D {                           // {}
            i += 1
        } else {
            while true {
                try expect(0x22)
                try readString()
                try expect(0x3A)                                         // :
                let value = try readInteger()
                try key.withUnsafeBufferPointer { try body($0, value) }
                skipWhitespace()
                guard i < text.count else { throw fail("unterminated object") }
                if text[i] == 0x2C { i += 1; continue }                  // ,
                if text[i] == 0x7D { i += 1; break }                     // }
                throw fail("expected \",\" or \"}\"")
            }
        }
        skipWhitespace()
        guard i == text.count else { throw fail("text after the object") }
    }
}
