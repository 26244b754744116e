// GPT-2's pre-tokenizer: before byte-pair encoding, text is cut into chunks by the pattern
//
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// so that merges never cross a word boundary: a word with its leading space (" hello"), a
// number, a run of punctuation, or whitespace. This is a hand-written scanner with exactly
// the pattern's semantics (the first alternative that matches wins), over UTF-8 bytes.

/// The character classes the pattern distinguishes.
enum ScalarClass: UInt8 {
    case other = 0, letter, number, whitespace
}

enum ScalarClasses {
    /// Classes of the Basic Multilingual Plane, computed once (letters: general categories
    /// L*, numbers: N*, whitespace: the White_Space property, as the regex engines use).
    static let bmp: [ScalarClass] = (0..<0x10000).map { v in
        guard let s = Unicode.Scalar(UInt32(v)) else { return .other }   // surrogates
        return classify(s)
    }

    static func classify(_ s: Unicode.Scalar) -> ScalarClass {
        let p = s.properties
        if p.isWhitespace { return .whitespace }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// The first 128 entries, for the ASCII fast path.
    static let ascii: [ScalarClass] = Array(bmp[0..<128])

    @inline(__always) static func of(_ v: UInt32) -> ScalarClass {
        v < 0x10000 ? bmp[Int(v)] : classify(Unicode.Scalar(v)!)
    }
}

/// Splits UTF-8 text into GPT-2's pre-tokens, calling `body` with the byte range of each.
/// (Working on the bytes directly, with no conversion of the text, is what makes it fast.)
@inline(__always)
func gpt2PreTokenize(_ s: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
    let n = s.count
    /// The scalar starting at byte j: its value and its length in bytes.
    @inline(__always) func scalar(_ j: Int) -> (UInt32, Int) {
        let b0 = UInt32(s[j])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(s[j + 1] & 0x3F), 2) }
        if b0 < 0xF0 { return ((b0 & 0x0F) << 12 | UInt32(s[j + 1] & 0x3F) << 6 | UInt32(s[j + 2] & 0x3F), 3) }
        return ((b0 & 0x07) << 18 | UInt32(s[j + 1] & 0x3F) << 12 | UInt32(s[j + 2] & 0x3F) << 6 | UInt32(s[j + 3] & 0x3F), 4)
    }
    @inline(__always) func cls(_ j: Int) -> (ScalarClass, Int) {
        let b0 = s[j]
        if b0 < 0x80 { return (ScalarClasses.ascii[Int(b0)], 1) }
        let (v, length) = scalar(j)
        return (ScalarClasses.of(v), length)
    }
    /// End of the run of `kind` starting at byte j.
    @inline(__always) func run(_ j: Int, _ kind: ScalarClass) -> Int {
        var k = j
        while k < n {
            let (c, length) = cls(k)
            if c != kind { break }
            k += length
        }
        return k
    }
    let apostrophe: UInt8 = 0x27, space: UInt8 = 0x20
    var i = 0
    while i < n {
        // 's 't 're 've 'm 'll 'd
        if s[i] == apostrophe && i + 1 < n {
            let c1 = s[i + 1]
            if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 {          // s t m d
                body(i..<(i + 2)); i += 2; continue
            }
            if i + 2 < n {
                let c2 = s[i + 2]
                if (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6C && c2 == 0x6C) {   // re ve ll
                    body(i..<(i + 3)); i += 3; continue
                }
            }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class
        let j = (s[i] == space && i + 1 < n) ? i + 1 : i
        let (c, _) = cls(j)
        if c != .whitespace {
            let end = run(j, c)
            body(i..<end); i = end
            continue
        }
        // `\s+(?!\S)` then `\s+`: a run of whitespace, leaving its last character to a following word
        let end = run(i, .whitespace)
        if end == n {
            body(i..<end); i = end
        } else {
            // the start of the run's last character
            var last = end - 1
            while s[last] & 0xC0 == 0x80 { last -= 1 }
            if last == i {
                body(i..<end); i = end                       // a single whitespace character before a word
            } else {
                body(i..<last); i = last
            }
        }
    }
}

/// The pre-tokens of a string, as strings (for showing them).
public func gpt2PreTokens(_ text: String) -> [String] {
    var text = text
    return text.withUTF8 { utf8 in
        var out: [String] = []
        gpt2PreTokenize(utf8) { out.append(String(decoding: UnsafeBufferPointer(rebasing: utf8[$0]), as: UTF8.self)) }
        return out
    }
}
