// GPT-2's pre-tokenizer: before byte-pair encoding, text is cut into chunks by the pattern
//
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// so that merges never cross a word boundary. A chunk is one of
// - an English contraction: 's 't 're 've 'm 'll 'd (lower case, ASCII apostrophe only);
// - a run of letters, of digits, or of other symbols, with at most one leading space: " hello",
//   "42", " ...";
// - a run of whitespace. `\s+(?!\S)` keeps the run's last character back when a non-space
//   follows (the regex engine backtracks one character), so that a space can start the next
//   word: "a   b" → "a", "  ", " b". A single whitespace character before a word is a chunk of
//   its own ("\n" in "\nb").
//
// This file is a hand-written scanner with exactly the pattern's semantics (the first
// alternative that matches wins, greedy runs), working on UTF-8 bytes: no regex engine and no
// String or Character operations, which is what makes it fast.
//
// The classes are those of tiktoken's regex engine (Rust's regex crate): `\p{L}` is the general
// categories Lu Ll Lt Lm Lo, `\p{N}` is Nd Nl No, `\s` is the White_Space property (the same as
// the Python `regex` module's; U+001C…U+001F are not whitespace). tiktoken's tables are those of
// Unicode 16.0, so characters assigned later (Unicode 17.0 added 4,657 letters and digits) count
// as "other" here too, whatever the Swift toolchain's own Unicode version.

// MARK: - Character classes

/// The character classes the pattern distinguishes.
enum ScalarClass: UInt8 {
    case other = 0, letter, number, whitespace
}

enum ScalarClasses {
    /// The Unicode version whose character classes tiktoken uses.
    static let unicodeVersion = (major: 16, minor: 0)

    /// The class of one scalar, from its Unicode properties.
    static func classify(_ s: Unicode.Scalar) -> ScalarClass {
        let p = s.properties
        if let age = p.age, (age.major, age.minor) > unicodeVersion { return .other }   // not yet assigned in 16.0
        if p.isWhitespace { return .whitespace }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// Classes of U+0000…U+FFFF, computed once (about 10 ms); surrogates are never scalars.
    static let bmp = table(0..<0x10000)
    /// Classes of U+10000…U+3FFFF (historic scripts, emoji, CJK extensions), computed on first need.
    static let supplementary = table(0x10000..<0x40000)

    /// A table of classes that lives as long as the program (allocated once, never freed), so
    /// the scanner can read it through a plain pointer.
    static func table(_ range: Range<UInt32>) -> UnsafeBufferPointer<ScalarClass> {
        let table = UnsafeMutableBufferPointer<ScalarClass>.allocate(capacity: range.count)
        for (k, v) in range.enumerated() { table[k] = Unicode.Scalar(v).map(classify) ?? .other }
        return UnsafeBufferPointer(table)
    }

    /// The class of the scalar with value `v`. Planes 4 and up hold no letter, digit or
    /// whitespace (tags, variation selectors, private use), a fact the tests check.
    @inline(__always) static func of(_ v: UInt32) -> ScalarClass {
        if v < 0x10000 { return bmp[Int(v)] }
        if v < 0x40000 { return supplementary[Int(v - 0x10000)] }
        return .other
    }
}

// MARK: - Scanner

/// Splits UTF-8 text into GPT-2's pre-tokens, calling `body` with the byte range of each in
/// order; the ranges cover the text without gaps. `s` must be valid UTF-8 (a String's bytes).
@inline(__always)
func gpt2PreTokenize(_ s: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
    let n = s.count
    let bmp = ScalarClasses.bmp                            // a plain pointer: no bounds or lifetime checks

    /// The class of the character starting at byte j, and its length in bytes.
    @inline(__always) func classAt(_ j: Int) -> (ScalarClass, Int) {
        let b0 = UInt32(s[j])
        if b0 < 0x80 { return (bmp[Int(b0)], 1) }
        if b0 < 0xE0 { return (ScalarClasses.of((b0 & 0x1F) << 6 | UInt32(s[j + 1] & 0x3F)), 2) }
        if b0 < 0xF0 {
            return (ScalarClasses.of((b0 & 0x0F) << 12 | UInt32(s[j + 1] & 0x3F) << 6 | UInt32(s[j + 2] & 0x3F)), 3)
        }
        let v = (b0 & 0x07) << 18 | UInt32(s[j + 1] & 0x3F) << 12 | UInt32(s[j + 2] & 0x3F) << 6 | UInt32(s[j + 3] & 0x3F)
        return (ScalarClasses.of(v), 4)
    }
    /// The end of the run of characters of class `kind` that starts at byte j.
    @inline(__always) func endOfRun(_ j: Int, _ kind: ScalarClass) -> Int {
        var k = j
        while k < n {
            let b = s[k]
            if b < 0x80 {                                   // ASCII fast path
                if bmp[Int(b)] != kind { break }
                k += 1
            } else {
                let (c, length) = classAt(k)
                if c != kind { break }
                k += length
            }
        }
        return k
    }

    let apostrophe = UInt8(ascii: "'"), space = UInt8(ascii: " ")
    var i = 0
    while i < n {
        // 's 't 're 've 'm 'll 'd
        if s[i] == apostrophe && i + 1 < n {
            let c1 = s[i + 1]
            if c1 == UInt8(ascii: "s") || c1 == UInt8(ascii: "t") || c1 == UInt8(ascii: "m") || c1 == UInt8(ascii: "d") {
                body(i..<(i + 2)); i += 2
                continue
            }
            if i + 2 < n {
                let c2 = s[i + 2]
                if (c1 == UInt8(ascii: "r") && c2 == UInt8(ascii: "e")) || (c1 == UInt8(ascii: "v") && c2 == UInt8(ascii: "e"))
                    || (c1 == UInt8(ascii: "l") && c2 == UInt8(ascii: "l")) {
                    body(i..<(i + 3)); i += 3
                    continue
                }
            }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class
        let j = (s[i] == space && i + 1 < n) ? i + 1 : i
        let (kind, _) = classAt(j)
        if kind != .whitespace {
            let end = endOfRun(j, kind)
            body(i..<end); i = end
            continue
        }
        // `\s+(?!\S)`, else `\s+`: a run of whitespace ...
        let end = endOfRun(i, .whitespace)
        if end == n {                                       // ... that ends the text: all of it
            body(i..<end); i = end
            continue
        }
        var last = end - 1                                  // the start of the run's last character
        while s[last] & 0xC0 == 0x80 { last -= 1 }
        if last == i {                                      // ... of one character before a non-space: itself
            body(i..<end); i = end
        } else {                                            // ... else all but its last character
            body(i..<last); i = last
        }
    }
}

/// GPT-2's pre-tokens of a text, as strings (to show them).
///
///     gpt2PreTokens("Hello, it's 2024!\n\n  Bye")
///     // ["Hello", ",", " it", "'s", " 2024", "!", "\n\n ", " Bye"]
public func gpt2PreTokens(_ text: String) -> [String] {
    var text = text
    return text.withUTF8 { utf8 in
        var out: [String] = []
        gpt2PreTokenize(utf8) { out.append(String(decoding: UnsafeBufferPointer(rebasing: utf8[$0]), as: UTF8.self)) }
        return out
    }
}
