// GPT-2's pre-tokenizer: before byte-pair encoding, text is cut into chunks by the pattern
//
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// so that merges never cross a word boundary: a word with its leading space (" hello"), a
// number, a run of punctuation, or whitespace. This is a hand-written scanner with exactly
// the pattern's semantics (the first alternative that matches wins), over Unicode scalars.

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

    @inline(__always) static func of(_ v: UInt32) -> ScalarClass {
        v < 0x10000 ? bmp[Int(v)] : classify(Unicode.Scalar(v)!)
    }
}

/// Splits text (as Unicode scalar values) into GPT-2's pre-tokens; returns index ranges.
func gpt2PreTokenize(_ s: [UInt32]) -> [Range<Int>] {
    var out: [Range<Int>] = []
    out.reserveCapacity(s.count / 4)
    let n = s.count
    let apostrophe: UInt32 = 0x27, space: UInt32 = 0x20
    var i = 0
    @inline(__always) func cls(_ j: Int) -> ScalarClass { ScalarClasses.of(s[j]) }
    /// End of the run of `kind` starting at j (j itself if none).
    @inline(__always) func run(_ j: Int, _ kind: ScalarClass) -> Int {
        var k = j
        while k < n && cls(k) == kind { k += 1 }
        return k
    }
    @inline(__always) func runOfOther(_ j: Int) -> Int {
        var k = j
        while k < n && cls(k) == .other { k += 1 }
        return k
    }
    while i < n {
        // 's 't 're 've 'm 'll 'd
        if s[i] == apostrophe && i + 1 < n {
            let c1 = s[i + 1]
            if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 {          // s t m d
                out.append(i..<(i + 2)); i += 2; continue
            }
            if i + 2 < n {
                let c2 = s[i + 2]
                if (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6C && c2 == 0x6C) {   // re ve ll
                    out.append(i..<(i + 3)); i += 3; continue
                }
            }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class
        let start = i
        let j = (s[i] == space && i + 1 < n) ? i + 1 : i
        let c = cls(j)
        if c != .whitespace {
            let end = c == .other ? runOfOther(j) : run(j, c)
            if end > j { out.append(start..<end); i = end; continue }
        }
        // `\s+(?!\S)` then `\s+`
        if cls(i) == .whitespace {
            let end = run(i, .whitespace)
            if end == n || end - i == 1 {
                out.append(i..<end); i = end                        // to the end, or a single space before a word
            } else {
                out.append(i..<(end - 1)); i = end - 1              // leave the last space to the next word
            }
            continue
        }
        // unreachable: every scalar is whitespace, letter, number or other
        out.append(i..<(i + 1)); i += 1
    }
    return out
}
