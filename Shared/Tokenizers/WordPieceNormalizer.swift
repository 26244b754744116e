// BERT's "basic tokenizer": how text is cleaned and cut into words before WordPiece sees it.
//
//   1. clean: drop NUL, U+FFFD and control/format/private-use characters; every whitespace
//      character (tab, newline, no-break space, …) becomes a plain space;
//   2. put a space on each side of every CJK ideograph, so each one is a word of its own;
//   3. strip accents: decompose (NFD: "é" → "e" + U+0301) and drop the non-spacing marks;
//   4. lower-case, character by character;
//   5. split on whitespace, and cut every punctuation character out as a word of its own.
//
// This is what Hugging Face's `tokenizers` library does for `BertTokenizer` (its
// `BertNormalizer` and `BertPreTokenizer`, written in Rust), down to one quirk worth knowing:
// the character classes "control", "punctuation" and "non-spacing mark" come from a Rust
// crate whose tables are those of Unicode 8.0 (2015). A character added to Unicode later is
// none of the three there, so it stays inside its word: U+061D ARABIC END OF TEXT MARK
// (Unicode 14) is punctuation to Swift but not to BERT. We reproduce that by asking each
// character's `age` (the Unicode version that added it), plus a list of the seven characters
// whose category changed since 8.0. Whitespace and lower-casing come from up-to-date tables in
// both; the library's NFD leaves U+11938 whole. (Every code point, alone, was compared with
// the `tokenizers` library 0.23.3 when this was written: these are the only differences.)

import Foundation

/// BERT's text normalisation and word splitting, as Hugging Face's `BertTokenizer` does it
/// (lower-casing and accent stripping on).
///
///     BertNormalizer.normalize("Héllo,\tWORLD 日本")     // "hello, world  日  本 "
///     BertNormalizer.words("Héllo,\tWORLD 日本")         // ["hello", ",", "world", "日", "本"]
public enum BertNormalizer {

    // MARK: - Normalisation

    /// The cleaned, accent-stripped, lower-cased text (steps 1–4 above).
    public static func normalize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: normalizedScalars(text))
        return String(out)
    }

    /// The words of `text` (steps 1–5): what WordPiece cuts into pieces.
    public static func words(_ text: String) -> [String] {
        splitWords(normalizedScalars(text)).map { word in
            var s = String.UnicodeScalarView()
            s.append(contentsOf: word)
            return String(s)
        }
    }

    /// Which of steps 1–4 to take: all four for `BertTokenizer`; a tokenizer.json's
    /// "BertNormalizer" may turn each off.
    ///
    ///     BertNormalizer.Options(stripAccents: false, lowercase: true)   // lower case, accents kept
    public struct Options: Equatable {
        public var cleanText = true
        public var handleChineseChars = true
        /// nil: strip accents exactly when lower-casing (the library's default).
        public var stripAccents: Bool? = nil
        public var lowercase = true

        public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
            self.cleanText = cleanText
            self.handleChineseChars = handleChineseChars
            self.stripAccents = stripAccents
            self.lowercase = lowercase
        }
    }

    /// Steps 1–4 on Unicode scalars.
    static func normalizedScalars(_ text: String, _ options: Options = Options()) -> [Unicode.Scalar] {
        // 1 and 2: clean, and space out CJK ideographs.
        var cleaned: [Unicode.Scalar] = []
        cleaned.reserveCapacity(text.utf8.count)
        var isASCII = true
        for s in text.unicodeScalars {
            if options.cleanText {
                if s.value == 0 || s.value == 0xFFFD || isControl(s) { continue }
                if isWhitespace(s) { cleaned.append(" "); continue }
            }
            if options.handleChineseChars && isCJKIdeograph(s) {
                cleaned.append(" "); cleaned.append(s); cleaned.append(" ")
            } else {
                cleaned.append(s)
            }
            if s.value >= 0x80 { isASCII = false }
        }
        // 3: NFD over the whole text (it may reorder neighbouring marks), then drop the
        // non-spacing marks. ASCII text is its own NFD and has no marks.
        let strip = options.stripAccents ?? options.lowercase
        let decomposed = strip && !isASCII ? canonicalDecomposition(cleaned) : cleaned
        // 4: lower-case each character on its own (no context: a final Σ becomes σ, not ς).
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(decomposed.count)
        for s in decomposed {
            if s.value < 0x80 {
                out.append(options.lowercase && s.value >= 65 && s.value <= 90 ? Unicode.Scalar(UInt8(s.value + 32)) : s)
            } else if strip && isNonspacingMark(s) {
                continue
            } else if options.lowercase && s.properties.changesWhenLowercased {
                out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            } else {
                out.append(s)
            }
        }
        return out
    }

    /// NFD as the library computes it: with the tables of Unicode 11.0, so a character added
    /// later is left whole (U+11938 DIVES AKURU VOWEL SIGN O, which Unicode 13 gave a
    /// decomposition, is the one such character NFD would change; see LibraryUnicode).
    static func canonicalDecomposition(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return Array(LibraryUnicode.normalize(String(view), .nfd).unicodeScalars)
    }

    // MARK: - Splitting into words

    /// Step 5: split normalised scalars on whitespace (dropped) and around punctuation (kept,
    /// one character per word).
    static func splitWords(_ scalars: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words: [ArraySlice<Unicode.Scalar>] = []
        var start = 0
        for (i, s) in scalars.enumerated() {
            if s.properties.isWhitespace {
                if start < i { words.append(scalars[start..<i]) }
                start = i + 1
            } else if isPunctuation(s) {
                if start < i { words.append(scalars[start..<i]) }
                words.append(scalars[i...i])
                start = i + 1
            }
        }
        if start < scalars.count { words.append(scalars[start...]) }
        return words
    }

    // MARK: - Character classes

    /// Whitespace: tab, newline, carriage return and every character with the Unicode
    /// White_Space property (space, no-break space, U+3000, line separator, …).
    public static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace
    }

    /// Removed by cleaning: control (Cc), format (Cf, e.g. U+200B zero-width space) and
    /// private-use (Co) characters of Unicode 8.0 — but not tab, newline and carriage return,
    /// which are whitespace. Unassigned code points are kept.
    public static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        if s.value < 0x20 || s.value == 0x7F { return true }
        if s.value < 0xA0 && s.value > 0x7F { return true }
        if s.value < 0xA0 { return false }
        guard inUnicode8(s) else { return false }
        switch s.properties.generalCategory {
        case .control, .format, .privateUse: return true
        default: return false
        }
    }

    /// Punctuation, cut out as a word of its own: ASCII punctuation (!"#$%&'()*+,-./:;<=>?@
    /// [\]^_`{|}~ — so "$", "+", "<", "^" and "|" too, though Unicode calls them symbols) and
    /// every Unicode 8.0 character of a punctuation category (Pc, Pd, Ps, Pe, Pi, Pf, Po).
    public static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 {
            return (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v)
        }
        if Unicode8Changes.punctuation.contains(v) { return true }
        guard inUnicode8(s) else { return false }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// A non-spacing mark (Mn) of Unicode 8.0, such as the combining acute accent U+0301:
    /// dropped after NFD, which is how accents are stripped.
    public static func isNonspacingMark(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x300 { return false }
        if Unicode8Changes.nonspacingMark.contains(s.value) { return true }
        return s.properties.generalCategory == .nonspacingMark && inUnicode8(s) && !Unicode8Changes.notNonspacingMark.contains(s.value)
    }

    /// A CJK ideograph (the CJK Unified Ideographs blocks and extensions A–E, and the
    /// compatibility ideographs) — not Japanese kana nor Korean hangul, which are written
    /// with spaces between words. The ranges are the `tokenizers` library's.
    public static func isCJKIdeograph(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// Whether the character was in Unicode 8.0, the version of the tables that decide
    /// control, punctuation and non-spacing mark (see the top of this file).
    static func inUnicode8(_ s: Unicode.Scalar) -> Bool {
        guard let age = s.properties.age else { return false }
        return age.major < 8 || (age.major == 8 && age.minor == 0)
    }
}

/// The characters of Unicode 8.0 whose category has changed since in a way that matters here:
/// Swift knows only today's category, the library only the 2015 one. Found by comparing every
/// code point with the `tokenizers` library (0.23.3); these are all the differences.
enum Unicode8Changes {
    /// Punctuation (Po) in 8.0, no longer: U+166D CANADIAN SYLLABICS CHI SIGN (now So),
    /// U+111C9 SHARADA SANDHI MARK (now Mn).
    static let punctuation: Set<UInt32> = [0x166D, 0x111C9]
    /// Non-spacing marks in 8.0, spacing marks (Mc) now: U+1734 HANUNOO SIGN PAMUDPOD,
    /// U+1171E AHOM CONSONANT SIGN MEDIAL RA.
    static let nonspacingMark: Set<UInt32> = [0x1734, 0x1171E]
    /// Non-spacing marks now, not in 8.0: U+1885 and U+1886 MONGOLIAN LETTER ALI GALI
    /// BALUDA/THREE BALUDA (then Lo), U+A9BD JAVANESE CONSONANT SIGN KERET (then Mc),
    /// U+111C9 SHARADA SANDHI MARK (then Po).
    static let notNonspacingMark: Set<UInt32> = [0x1885, 0x1886, 0xA9BD, 0x111C9]
}
