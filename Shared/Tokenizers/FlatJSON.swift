// A reader for one kind of JSON only: an object whose values are all integers, such as GPT-2's
// encoder.json ({"!": 0, "\"": 1, …, "<|endoftext|>": 50256}). Foundation's JSONSerialization
// reads the same file too, but takes about half a second (it builds 50,257 NSString and
// NSNumber objects); this reads the bytes directly in a few milliseconds. On anything it does
// not accept, the loader asks JSONSerialization what is wrong, for a precise message. The
// primitive reads (strings with their escapes, integers) are JSONScanner's.

// MARK: - Flat JSON object

enum FlatJSON {
    /// Where and why the text is not a flat object of integers.
    typealias Failure = JSONScanner.Failure

    /// Calls `body` with each key (its UTF-8 bytes, escapes resolved) and integer value, in
    /// file order.
    ///
    ///     {"a": 1, "\u0120b": 2}   →  body([0x61], 1), body([0xC4, 0xA0, 0x62], 2)
    static func forEachIntegerMember(in text: UnsafeBufferPointer<UInt8>,
                                     _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        var scanner = JSONScanner(text)
        var key: [UInt8] = []
        try scanner.expect(0x7B)                                         // {
        scanner.skipWhitespace()
        if scanner.peek == 0x7D {                                        // {}
            scanner.position += 1
        } else {
            while true {
                try scanner.expect(0x22)
                try scanner.readString(into: &key)
                try scanner.expect(0x3A)                                 // :
                let value = try scanner.readInteger()
                try key.withUnsafeBufferPointer { try body($0, value) }
                scanner.skipWhitespace()
                guard let c = scanner.peek else { throw scanner.fail("unterminated object") }
                scanner.position += 1
                if c == 0x2C { continue }                                // ,
                if c == 0x7D { break }                                   // }
                scanner.position -= 1
                throw scanner.fail("expected \",\" or \"}\"")
            }
        }
        scanner.skipWhitespace()
        guard scanner.atEnd else { throw scanner.fail("text after the object") }
    }
}
