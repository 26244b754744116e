// The normalizers that rewrite characters by Unicode's tables: NFC, NFD, NFKC, NFKD,
// Lowercase, StripAccents and BertNormalizer.
//
// The `tokenizers` library (0.23.3) carries its own tables, of different Unicode versions, and
// Swift knows only today's (Unicode 17.0). Every code point, alone, was run through the library
// and compared with Swift when this was written:
// - NFC/NFD/NFKC/NFKD: the library's tables are those of Unicode 11.0. Of the characters added
//   since, 135 have a decomposition Swift applies and the library does not (U+1F16C RAISED MR
//   SIGN of 12.0, U+32FF SQUARE ERA NAME REIWA of 12.1, the modifier letters U+10781… of 14.0,
//   …). To the library a newer character is an unknown starter: nothing decomposes, composes or
//   is reordered across it. So the text is normalised piece by piece between such characters,
//   which stay as they are. Everything older agrees.
// - Lowercase: the library lower-cases each character with Rust's `char::to_lowercase` (full
//   mappings, no context: "İ" → "i̇", a final "Σ" → "σ"); identical to Swift's mapping for
//   every code point.
// - StripAccents removes "combining marks" (categories Mn, Mc, Me) of Unicode 9.0, plus the two
//   Vedic signs U+1CF2 and U+1CF3 that were marks then; U+111C9 SHARADA SANDHI MARK, then
//   punctuation, stays. Newer marks stay too.

import Foundation

// MARK: - The library's Unicode

/// Unicode normalisation and character classes as the `tokenizers` library has them.
///
///     LibraryUnicode.normalize("e\u{301}", .nfc)     // "é"
///     LibraryUnicode.normalize("\u{1F16C}", .nfkc)   // "\u{1F16C}" (Swift alone gives "MR")
enum LibraryUnicode {
    enum Form { case nfc, nfd, nfkc, nfkd }

    /// The Unicode version of the library's normalisation tables.
    static let normalizationVersion = (major: 11, minor: 0)

    /// Whether the library's normalisation tables know the character.
    @inline(__always) static func knownToNormalization(_ s: Unicode.Scalar) -> Bool {
        guard let age = s.properties.age else { return false }
        return (age.major, age.minor) <= normalizationVersion
    }

    /// `text` in normalisation form `form`, with the library's tables (see the top of the file).
    static func normalize(_ text: String, _ form: Form) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }           // ASCII is in every form already
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var piece = String.UnicodeScalarView()
        func flush() {
            guard !piece.isEmpty else { return }
            let s = String(piece)
            switch form {
            case .nfc: out += s.precomposedStringWithCanonicalMapping
            case .nfd: out += s.decomposedStringWithCanonicalMapping
            case .nfkc: out += s.precomposedStringWithCompatibilityMapping
            case .nfkd: out += s.decomposedStringWithCompatibilityMapping
            }
            piece.removeAll(keepingCapacity: true)
        }
        for s in text.unicodeScalars {
            if s.value < 0x80 || knownToNormalization(s) {
                piece.append(s)
            } else {
                flush()
                out.unicodeScalars.append(s)
            }
        }
        flush()
        return out
    }

    /// Each character lower-cased on its own.
    static func lowercased(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if s.properties.changesWhenLowercased {
                out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            } else {
                out.append(s)
            }
        }
        return String(out)
    }

    /// A combining mark as StripAccents sees it (see the top of the file).
    static func isCombiningMark(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x300 { return false }
        if s.value == 0x1CF2 || s.value == 0x1CF3 { return true }
        if s.value == 0x111C9 { return false }
        guard let age = s.properties.age, (age.major, age.minor) <= (9, 0) else { return false }
        switch s.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }
}

// MARK: - Normalizers

/// NFC, NFD, NFKC or NFKD.
struct UnicodeFormNormalizer: TextNormalizer {
    let form: LibraryUnicode.Form

    func apply(_ text: String) -> String { LibraryUnicode.normalize(text, form) }
}

/// Lower-cases each character.
struct LowercaseNormalizer: TextNormalizer {
    func apply(_ text: String) -> String { LibraryUnicode.lowercased(text) }
}

/// Removes combining marks (only those: "é" stays "é"; after NFD it is "e" + U+0301 and loses
/// the accent, which is why tokenizers put NFD first).
struct StripAccentsNormalizer: TextNormalizer {
    func apply(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars where !LibraryUnicode.isCombiningMark(s) { out.append(s) }
        return String(out)
    }
}

/// BERT's normalizer (WordPieceNormalizer.swift), with the options a tokenizer.json gives.
struct BertTextNormalizer: TextNormalizer {
    let options: BertNormalizer.Options

    func apply(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: BertNormalizer.normalizedScalars(text, options))
        return String(out)
    }
}
