// The split pattern of Llama 3 (and, with one digit at a time, of Qwen2), the successor of
// GPT-2's (GPT2PreTokenizer.swift), as a hand-written scanner:
//
//     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// What changed from GPT-2's: contractions in any case ("'S", "'Ll"); a word may start with any
// one non-letter, non-digit character other than a newline ("(hello", "\thello", not just
// " hello"); numbers come in chunks of at most three digits; a punctuation run takes the newlines
// after it; and a run of whitespace that contains newlines ends after its last newline.
//
// At each position the first alternative that matches wins, as in the regex engine
// (Oniguruma, inside the `tokenizers` library): every branch below says which alternative it
// is and how the engine's backtracking resolves it. The classes are Oniguruma's, which are
// those of Unicode 16.0, the same table as GPT-2's scanner (checked code point by code point);
// the case-insensitive "'s" also matches "'ſ" (U+017F LATIN SMALL LETTER LONG S, whose case
// folding is "s").

// MARK: - Scanner

/// Cuts valid UTF-8 into the pattern's pieces, calling `body` with the byte range of each, in
/// order and without gaps. `maxDigits` is 3 for Llama 3's pattern, 1 for Qwen2's (`\p{N}`).
///
///     var pieces: [String] = []
///     contractionsPreTokenize(Array("I'LL pay 12345!\n\nOk".utf8), maxDigits: 3) { pieces.append(…) }
///     // "I", "'LL", " pay", " ", "123", "45", "!\n\n", "Ok"
@inline(__always)
func contractionsPreTokenize(_ s: UnsafeBufferPointer<UInt8>, maxDigits: Int, _ body: (Range<Int>) -> Void) {
    let n = s.count
    let bmp = ScalarClasses.bmp

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
    /// The end of the run of class `kind` from byte j.
    @inline(__always) func endOfRun(_ j: Int, _ kind: ScalarClass) -> Int {
        var k = j
        while k < n {
            let b = s[k]
            if b < 0x80 {
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
    @inline(__always) func isNewline(_ b: UInt8) -> Bool { b == 0x0A || b == 0x0D }
    @inline(__always) func lower(_ b: UInt8) -> UInt8 { b | 0x20 }     // ASCII letters only

    var i = 0
    while i < n {
        let c0 = s[i]
        // 1. (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if c0 == UInt8(ascii: "'") && i + 1 < n {
            let c1 = lower(s[i + 1])
            if c1 == UInt8(ascii: "s") || c1 == UInt8(ascii: "t") || c1 == UInt8(ascii: "m") || c1 == UInt8(ascii: "d") {
                body(i..<(i + 2)); i += 2
                continue
            }
            if s[i + 1] == 0xC5 && i + 2 < n && s[i + 2] == 0xBF {            // 'ſ
                body(i..<(i + 3)); i += 3
                continue
            }
            if i + 2 < n {
                let c2 = lower(s[i + 2])
                if (c1 == UInt8(ascii: "r") && c2 == UInt8(ascii: "e")) || (c1 == UInt8(ascii: "v") && c2 == UInt8(ascii: "e"))
                    || (c1 == UInt8(ascii: "l") && c2 == UInt8(ascii: "l")) {
                    body(i..<(i + 3)); i += 3
                    continue
                }
            }
        }
        let (kind, length) = classAt(i)
        // 2. [^\r\n\p{L}\p{N}]?\p{L}+ — a letter run, or one other character then a letter run
        if kind == .letter {
            let end = endOfRun(i, .letter)
            body(i..<end); i = end
            continue
        }
        if kind != .number && !isNewline(c0) && i + length < n && classAt(i + length).0 == .letter {
            let end = endOfRun(i + length, .letter)
            body(i..<end); i = end
            continue
        }
        // 3. \p{N}{1,maxDigits}
        if kind == .number {
            var end = i, count = 0
            while end < n && count < maxDigits {
                let (c, l) = classAt(end)
                if c != .number { break }
                end += l; count += 1
            }
            body(i..<end); i = end
            continue
        }
        // 4. ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let j = (c0 == 0x20 && i + 1 < n) ? i + 1 : i
        if classAt(j).0 == .other {
            var end = endOfRun(j, .other)
            while end < n && isNewline(s[end]) { end += 1 }
            body(i..<end); i = end
            continue
        }
        // What is left starts with whitespace (a space before a letter or symbol was taken above).
        let end = endOfRun(i, .whitespace)
        // 5. \s*[\r\n]+ — the whitespace up to and including its last newline
        var lastNewline = end - 1
        while lastNewline >= i && !isNewline(s[lastNewline]) { lastNewline -= 1 }
        if lastNewline >= i {
            body(i..<(lastNewline + 1)); i = lastNewline + 1
            continue
        }
        // 6. \s+(?!\S) — all of a run that ends the text; else all but its last character …
        if end == n {
            body(i..<end); i = end
            continue
        }
        var last = end - 1
        while s[last] & 0xC0 == 0x80 { last -= 1 }
        if last > i {
            body(i..<last); i = last
        } else {
            body(i..<end); i = end                      // 7. \s+ — a single character before a non-space
        }
    }
}
