// Step 1 of a tokenizer.json pipeline: the normalizer rewrites the text before it is cut into
// pieces — Unicode normalisation (NFC, NFKC, …), lower-casing, replacing, prepending "▁".
//
// One thing besides the text has to be carried along: which characters at the start of the
// text come from the very start of the input. Metaspace's prepend_scheme "first" puts a "▁"
// only in front of the first word of the input, and the library decides "first" by the offset
// in the original text. A character a normalizer inserts at the start (Prepend's "▁") counts as
// coming from offset 0, a character after a removed one (Strip) does not. `originBytes` is the
// length of that leading run, in UTF-8 bytes.

// MARK: - Normalized text

/// Text on its way through the normalizers.
///
///     var t = NormalizedText("Hello", atOrigin: true)    // originBytes 1: "H" is the input's first character
///     PrependNormalizer(prepend: "▁").normalize(&t)      // "▁Hello", originBytes 4: "▁" and "H"
struct NormalizedText {
    var text: String
    /// How many UTF-8 bytes at the start of `text` come from offset 0 of the original input.
    var originBytes: Int

    /// A segment of the input; `atOrigin` when it starts at the input's first byte.
    init(_ text: String, atOrigin: Bool) {
        self.text = text
        self.originBytes = atOrigin ? (text.unicodeScalars.first.map { UTF8.width($0) } ?? 0) : 0
    }

    init(text: String, originBytes: Int) {
        self.text = text
        self.originBytes = originBytes
    }

    /// The leading run that comes from offset 0, as a string.
    var originPrefix: String { String(decoding: text.utf8.prefix(originBytes), as: UTF8.self) }
}

// MARK: - Normalizer

/// One normalizer of a tokenizer.json.
protocol TextNormalizer {
    /// The normalised text.
    func apply(_ text: String) -> String
    /// Normalises in place, keeping `originBytes` right.
    func normalize(_ t: inout NormalizedText)
}

extension TextNormalizer {
    /// For normalizers that map each character (or a combining sequence) on its own: the
    /// characters from offset 0 are those the origin prefix becomes, rounded up to a whole
    /// character (composition may fuse the prefix's last character with the next).
    func normalize(_ t: inout NormalizedText) {
        let prefixBytes = t.originBytes > 0 ? apply(t.originPrefix).utf8.count : 0
        t.text = apply(t.text)
        t.originBytes = roundUpToCharacter(t.text, min(prefixBytes, t.text.utf8.count))
    }
}

/// `offset` moved forward to the next character boundary of `text`'s UTF-8.
func roundUpToCharacter(_ text: String, _ offset: Int) -> Int {
    var k = offset
    var utf8 = text.utf8.dropFirst(k).makeIterator()
    while let b = utf8.next(), b & 0xC0 == 0x80 { k += 1 }
    return k
}

/// The normalizer types this reader implements (the `type` of each JSON object).
enum NormalizerFactory {
    static let supported = ["NFC", "NFD", "NFKC", "NFKD", "Lowercase", "StripAccents", "BertNormalizer",
                            "Replace", "Prepend", "Strip", "Sequence"]

    /// The normalizer described by `node`.
    static func make(_ node: ConfigNode) throws -> TextNormalizer {
        switch try node.type(of: "normalizer", supported: supported) {
        case "NFC": return UnicodeFormNormalizer(form: .nfc)
        case "NFD": return UnicodeFormNormalizer(form: .nfd)
        case "NFKC": return UnicodeFormNormalizer(form: .nfkc)
        case "NFKD": return UnicodeFormNormalizer(form: .nfkd)
        case "Lowercase": return LowercaseNormalizer()
        case "StripAccents": return StripAccentsNormalizer()
        case "BertNormalizer":
            return BertTextNormalizer(options: BertNormalizer.Options(
                cleanText: try node.bool("clean_text", default: true),
                handleChineseChars: try node.bool("handle_chinese_chars", default: true),
                stripAccents: try node.optionalChild("strip_accents") == nil ? nil : try node.bool("strip_accents"),
                lowercase: try node.bool("lowercase", default: true)))
        case "Replace":
            return ReplaceNormalizer(pattern: try PatternFactory.make(try node.child("pattern")),
                                     content: try node.string("content"))
        case "Prepend": return PrependNormalizer(prepend: try node.string("prepend"))
        case "Strip":
            return StripNormalizer(left: try node.bool("strip_left", default: true), right: try node.bool("strip_right", default: true))
        default:
            return SequenceNormalizer(steps: try node.elements("normalizers").map(make))
        }
    }
}

// MARK: - Sequence, Prepend, Strip, Replace

/// Several normalizers, one after another.
struct SequenceNormalizer: TextNormalizer {
    let steps: [TextNormalizer]

    func apply(_ text: String) -> String { steps.reduce(text) { $1.apply($0) } }

    func normalize(_ t: inout NormalizedText) {
        for step in steps { step.normalize(&t) }
    }
}

/// Puts a string in front of the text, unless the text is empty (Llama 2 prepends "▁").
struct PrependNormalizer: TextNormalizer {
    let prepend: String

    func apply(_ text: String) -> String { text.isEmpty ? text : prepend + text }
}

/// Removes whitespace (Unicode White_Space) at the start, the end, or both.
struct StripNormalizer: TextNormalizer {
    let left: Bool, right: Bool

    func apply(_ text: String) -> String { stripped(text).text }

    /// The stripped text and how many bytes went from its start.
    private func stripped(_ text: String) -> (text: String, removedAtStart: Int) {
        let scalars = text.unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        if left { while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) } }
        if right {
            while end > start, scalars[scalars.index(before: end)].properties.isWhitespace { end = scalars.index(before: end) }
        }
        let removed = text.utf8.distance(from: text.startIndex, to: start)
        return (String(scalars[start..<end]), removed)
    }

    /// The first characters left come from offset 0 only if the run from offset 0 was longer
    /// than what was stripped (characters inserted at the start alias offset 0).
    func normalize(_ t: inout NormalizedText) {
        let (text, removed) = stripped(t.text)
        t.originBytes = min(max(0, t.originBytes - removed), text.utf8.count)
        t.text = text
    }
}

/// Replaces every match of a pattern (a string or a regular expression) by `content`.
struct ReplaceNormalizer: TextNormalizer {
    let pattern: TextPattern
    let content: String

    func apply(_ text: String) -> String {
        var t = NormalizedText(text: text, originBytes: 0)
        normalize(&t)
        return t.text
    }

    /// As the library aligns a replacement: the content takes the place (and the origin) of the
    /// match's last character; an empty match at the very start counts as offset 0.
    func normalize(_ t: inout NormalizedText) {
        let input = Array(t.text.utf8)
        let matches = input.withUnsafeBufferPointer { pattern.matches(in: $0) }
        if matches.isEmpty { return }
        let contentBytes = Array(content.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(input.count + matches.count * contentBytes.count)
        var origin = 0, stillOrigin = true
        /// Appends bytes, `fromOrigin` telling whether they align with offset 0.
        func emit<C: Collection>(_ bytes: C, fromOrigin: (Int) -> Bool) where C.Element == UInt8 {
            for (k, b) in bytes.enumerated() {
                if stillOrigin && fromOrigin(k) { origin += 1 } else { stillOrigin = false }
                out.append(b)
            }
        }
        var last = 0
        for m in matches {
            emit(input[last..<m.lowerBound]) { last + $0 < t.originBytes }
            let aligned = t.originBytes > 0 && (m.upperBound == 0 || m.upperBound - 1 < t.originBytes)
            emit(contentBytes) { _ in aligned }
            last = m.upperBound
        }
        emit(input[last...]) { last + $0 < t.originBytes }
        t.text = String(decoding: out, as: UTF8.self)
        t.originBytes = origin
    }
}
