// The patterns of Split pre-tokenizers and Replace normalizers/decoders: a plain string, or a
// regular expression in the syntax of Oniguruma, the engine inside the `tokenizers` library.
//
// Regular expressions run one of two ways:
// - the well-known patterns (GPT-2's, Llama 3's, Qwen2's), recognised by their exact text, run
//   as hand-written scanners over UTF-8 (GPT2PreTokenizer.swift, ContractionsPreTokenizer.swift):
//   tens of MB/s;
// - any other pattern runs on Foundation's NSRegularExpression (ICU), after a translation of
//   the few constructs whose meaning differs between the two engines (below). It is a hundred
//   times slower, but general. The tests run the well-known patterns both ways and compare.
//
// Matches are found as the library finds them (the `onig` crate's find_iter): left to right,
// without overlaps; an empty match right where the previous match ended is skipped.

import Foundation

// MARK: - Pattern

/// Something to find in text.
protocol TextPattern {
    /// The byte ranges of the matches in valid UTF-8 `text`, in order and without overlaps.
    func matches(in text: UnsafeBufferPointer<UInt8>) -> [Range<Int>]
}

/// Reads a pattern object: `{"String": " "}` or `{"Regex": "\\s+"}`.
enum PatternFactory {
    static let gpt2 = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    static func make(_ node: ConfigNode) throws -> TextPattern {
        if let literal = try node.optionalChild("String") {
            let text = try literal.stringValue()
            guard !text.isEmpty else { throw literal.error("an empty pattern is not supported (it would match between every character)") }
            return LiteralPattern(text)
        }
        if let regex = try node.optionalChild("Regex") {
            return try regexPattern(try regex.stringValue(), node: regex)
        }
        throw node.error("a pattern should be {\"String\": …} or {\"Regex\": …}")
    }

    /// A scanner for a well-known pattern, else the translated regular expression.
    static func regexPattern(_ pattern: String, node: ConfigNode? = nil) throws -> TextPattern {
        switch pattern {
        case gpt2: return ScannerPattern.gpt2
        case llama3: return ScannerPattern.contractions(maxDigits: 3)
        case qwen2: return ScannerPattern.contractions(maxDigits: 1)
        default:
            do {
                return try RegexPattern(pattern)
            } catch let error as RegexPattern.Unsupported {
                let message = "the regular expression \(pattern.debugDescription) cannot be used: \(error.reason)"
                throw node?.error(message) ?? TokenizerError("pattern", message)
            }
        }
    }
}

// MARK: - Literal strings

/// Every occurrence of a string, left to right.
struct LiteralPattern: TextPattern {
    let needle: [UInt8]

    init(_ text: String) { needle = Array(text.utf8) }

    func matches(in text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        guard let first = needle.first, text.count >= needle.count else { return out }
        var i = 0
        while i + needle.count <= text.count {
            if text[i] == first && needle.indices.allSatisfy({ text[i + $0] == needle[$0] }) {
                out.append(i..<(i + needle.count))
                i += needle.count
            } else {
                i += 1
            }
        }
        return out
    }
}

// MARK: - Scanners

/// A well-known pattern, run by its hand-written scanner (each piece is a match).
enum ScannerPattern: TextPattern {
    case gpt2
    case contractions(maxDigits: Int)

    func matches(in text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        forEachMatch(in: text) { out.append($0) }
        return out
    }

    @inline(__always)
    func forEachMatch(in text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        switch self {
        case .gpt2: gpt2PreTokenize(text, body)
        case .contractions(let maxDigits): contractionsPreTokenize(text, maxDigits: maxDigits, body)
        }
    }

    /// The pattern's text, to run it on the general engine (the tests compare the two).
    var source: String {
        switch self {
        case .gpt2: return PatternFactory.gpt2
        case .contractions(let maxDigits): return maxDigits == 3 ? PatternFactory.llama3 : PatternFactory.qwen2
        }
    }
}

// MARK: - General regular expressions

/// An Oniguruma regular expression run on ICU.
///
/// Translated: `\w` and `\W` — to Oniguruma a word character is Alphabetic, a mark, a decimal
/// digit or connector punctuation, and also the Latin-1 superscripts ² ³ ¹ and fractions ¼ ½ ¾;
/// to ICU the same without those six, plus the joiners U+200C and U+200D (both checked code
/// point by code point). Refused: `\h` and `\H` (a hex digit to Oniguruma, horizontal space to
/// ICU) and `\b`, `\B` (word boundaries, whose words differ as above). `\s`, `\d` and `\p{…}`
/// mean the same in both, but ICU's Unicode version may lag Oniguruma's (16.0) for the newest
/// characters.
struct RegexPattern: TextPattern {
    struct Unsupported: Error { let reason: String }

    let source: String
    private let regex: NSRegularExpression

    init(_ pattern: String) throws {
        source = pattern
        let translated = try Self.translate(pattern)
        do {
            regex = try NSRegularExpression(pattern: translated, options: [])
        } catch {
            throw Unsupported(reason: "ICU does not accept it (\(error.localizedDescription))")
        }
    }

    /// Oniguruma's word characters, as an ICU class body.
    static let wordClass = #"\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{B2}\x{B3}\x{B9}\x{BC}-\x{BE}"#

    /// Oniguruma syntax → ICU syntax (see the type's description).
    static func translate(_ pattern: String) throws -> String {
        var out = ""
        var inClass = 0
        var scalars = pattern.unicodeScalars.makeIterator()
        while let c = scalars.next() {
            if c == "\\" {
                guard let e = scalars.next() else { throw Unsupported(reason: "it ends with a lone backslash") }
                switch e {
                case "w": out += inClass > 0 ? wordClass : "[\(wordClass)]"
                case "W": out += "[^\(wordClass)]"
                case "h", "H": throw Unsupported(reason: "\\\(e) means a hex digit to Oniguruma and horizontal space to ICU")
                case "b" where inClass == 0, "B" where inClass == 0:
                    throw Unsupported(reason: "\\\(e) (a word boundary) depends on word characters, which Oniguruma and ICU define differently")
                default: out.unicodeScalars.append(c); out.unicodeScalars.append(e)
                }
                continue
            }
            if c == "[" { inClass += 1 } else if c == "]" && inClass > 0 { inClass -= 1 }
            out.unicodeScalars.append(c)
        }
        return out
    }

    func matches(in text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        let string = String(decoding: text, as: UTF8.self)
        let ns = string as NSString
        // UTF-16 offset → UTF-8 offset, for every UTF-16 position
        var utf8At = [Int](repeating: 0, count: ns.length + 1)
        var u16 = 0, u8 = 0
        for s in string.unicodeScalars {
            let w16 = UTF16.width(s), w8 = UTF8.width(s)
            for k in 0..<w16 { utf8At[u16 + k] = u8 }
            u16 += w16; u8 += w8
        }
        utf8At[u16] = u8
        var out: [Range<Int>] = []
        regex.enumerateMatches(in: string, options: [], range: NSRange(location: 0, length: ns.length)) { result, _, _ in
            guard let r = result?.range, r.location != NSNotFound else { return }
            let range = utf8At[r.location]..<utf8At[r.location + r.length]
            if range.isEmpty, let last = out.last, last.upperBound == range.lowerBound { return }
            out.append(range)
        }
        return out
    }
}

// MARK: - Split

/// Split: cut at the matches of a pattern, with a behavior; `invert` swaps matches and gaps.
///
///     Split(Regex(llama3), behavior: Isolated)    // Llama 3's pre-tokenizer before ByteLevel
struct SplitPreTokenizer: PreTokenizer {
    let pattern: TextPattern
    let behavior: SplitBehavior
    let invert: Bool

    init(pattern: TextPattern, behavior: SplitBehavior, invert: Bool) {
        self.pattern = pattern
        self.behavior = behavior
        self.invert = invert
    }

    init(_ node: ConfigNode) throws {
        self.init(pattern: try PatternFactory.make(try node.child("pattern")), behavior: try SplitBehavior(node),
                  invert: try node.bool("invert", default: false))
    }

    func split(_ piece: PreToken, into out: inout [PreToken]) {
        let found = piece.bytes.withUnsafeBufferPointer { pattern.matches(in: $0) }
        var cut = segments(of: found, count: piece.bytes.count)
        if invert { cut = cut.map { ($0.range, !$0.isMatch) } }
        behavior.split(piece, cut, into: &out)
    }
}
