// Seeded random strings for round-trip tests: the awkward parts of Unicode, mixed at random.

import TestSupport   // SplitMix64

enum RandomText {
    /// Pieces chosen for the tokenizers' edge cases: spaces and line ends (a lone "\r", CRLF),
    /// contractions, accents precomposed and combining, right-to-left scripts, CJK, emoji with
    /// zero-width joiners, skin tones and flags, control characters, a BOM, noncharacters,
    /// the special token's text, digits of other scripts, Unicode 17 letters.
    static let pieces: [String] = [
        "a", "Z", "the", " cat", "'s", "'ll", "'T", "don't", " ", "  ", "\t", "\n", "\n\n", "\r", "\r\n", "\u{0B}", "\u{0C}",
        "\u{85}", "\u{A0}", "\u{1680}", "\u{2028}", "\u{3000}", "\u{1C}", "é", "e\u{301}", "e\u{301}\u{302}\u{303}", "ß", "Σ",
        "日本語", "中", "한국어", "مرحبا", "שָׁלוֹם", "\u{200F}", "\u{202E}abc\u{202C}", "👩‍👩‍👧", "👍🏽", "🇫🇷", "🙂", "\u{200D}",
        "\u{FE0F}", "\u{0}", "\u{1}", "\u{7F}", "\u{FEFF}", "\u{FFFD}", "\u{FFFF}", "\u{10FFFF}", "\u{E000}", "1", "42",
        "١٢٣", "½", "Ⅻ", "!!", "...", "—", "«»", "<|endoftext|>", "<|", "ǅ", "ʰ", "𝔘", "𐍈", "\u{88F}", "\u{11DE0}", "\u{E0041}",
    ]

    /// One scalar drawn from planes 0–2 and 14–16 (assigned or not, never a surrogate).
    static func randomScalar(_ g: inout SplitMix64) -> Unicode.Scalar {
        let planes: [UInt32] = [0, 0, 0, 1, 2, 14, 16]
        while true {
            let v = planes[g.below(planes.count)] << 16 | UInt32(g.below(0x10000))
            if let s = Unicode.Scalar(v) { return s }
        }
    }

    /// A string of 1…16 pieces, each a listed piece (mostly) or a random scalar.
    static func string(_ g: inout SplitMix64) -> String {
        var s = ""
        for _ in 0...g.below(16) {
            if g.below(4) == 0 {
                s.unicodeScalars.append(randomScalar(&g))
            } else {
                s += pieces[g.below(pieces.count)]
            }
        }
        return s
    }
}
