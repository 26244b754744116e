// Step 2 of a tokenizer.json pipeline: the pre-tokenizer cuts normalised text into pieces
// ("pre-tokens"), so that the model never makes a token across a piece boundary — GPT-2 never
// merges the end of one word with the start of the next. Some pre-tokenizers also rewrite the
// pieces: Metaspace writes spaces as "▁", ByteLevel writes each byte as a printable character.
//
// Every splitting pre-tokenizer works the same way: find where a pattern (a regex, a character
// class) matches, then decide what to do with each match — the library's five "behaviors":
//
//     text "the-final--countdown", pattern "-"
//     Removed             the | final | countdown
//     Isolated            the | - | final | - | - | countdown
//     MergedWithPrevious  the- | final- | - | countdown
//     MergedWithNext      the | -final | - | -countdown
//     Contiguous          the | - | final | -- | countdown
//
// Empty pieces are dropped.

// MARK: - Pre-tokens

/// One piece of text between the pre-tokenizer and the model.
///
///     PreToken(bytes: Array("Hello".utf8), originBytes: 1)   // the input's first word
struct PreToken {
    /// The piece's UTF-8 bytes.
    var bytes: [UInt8]
    /// How many leading bytes come from offset 0 of the input (see Normalizers.swift).
    var originBytes: Int
    /// Set by the ByteLevel pre-tokenizer: each byte stands for GPT-2's printable character of
    /// that byte ("Ġ" for a space). Kept as raw bytes so that a byte-level BPE can start from
    /// its byte ids directly; `materialized` writes the characters out.
    var byteLevel = false

    /// The bytes in `range`, as a piece of its own.
    func slice(_ range: Range<Int>) -> PreToken {
        PreToken(bytes: Array(bytes[range]), originBytes: max(0, min(originBytes - range.lowerBound, range.count)),
                 byteLevel: byteLevel)
    }

    /// The piece with its byte-level characters written out (itself if not byte-level).
    var materialized: PreToken {
        guard byteLevel else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        var origin = 0
        for (k, b) in bytes.enumerated() {
            let character = ByteLevelTables.utf8OfByte[Int(b)]
            out += character
            if k < originBytes { origin += character.count }     // each byte's character aligns with it
        }
        return PreToken(bytes: out, originBytes: origin, byteLevel: false)
    }
}

/// What a split does with the matches of its pattern (see the top of the file).
enum SplitBehavior: String, CaseIterable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"

    /// Reads a "behavior" member.
    init(_ node: ConfigNode, key: String = "behavior", default fallback: SplitBehavior? = nil) throws {
        guard let child = try node.optionalChild(key) else {
            guard let fallback else { throw node.error("has no \"\(key)\"") }
            self = fallback
            return
        }
        let name = try child.stringValue()
        guard let behavior = SplitBehavior(rawValue: name) else {
            throw child.error("\(name.debugDescription) is not a split behavior",
                              hint: "one of \(SplitBehavior.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = behavior
    }

    /// Cuts `piece` given its matches: ranges in order, covering the bytes without gaps, each
    /// flagged true where the pattern matched. Appends the non-empty pieces to `out`.
    func split(_ piece: PreToken, _ segments: [(range: Range<Int>, isMatch: Bool)], into out: inout [PreToken]) {
        var ranges: [Range<Int>] = []
        switch self {
        case .isolated:
            ranges = segments.map(\.range)
        case .removed:
            ranges = segments.filter { !$0.isMatch }.map(\.range)
        case .contiguous, .mergedWithPrevious:
            var previousMatch = false
            for (range, isMatch) in segments {
                let join = self == .contiguous ? isMatch == previousMatch : isMatch && !previousMatch
                if join, let last = ranges.last {
                    ranges[ranges.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    ranges.append(range)
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for (range, isMatch) in segments.reversed() {
                if isMatch && !previousMatch, let last = ranges.last {
                    ranges[ranges.count - 1] = range.lowerBound..<last.upperBound
                } else {
                    ranges.append(range)
                }
                previousMatch = isMatch
            }
            ranges.reverse()
        }
        for range in ranges where !range.isEmpty { out.append(piece.slice(range)) }
    }
}

/// The matches of `ranges` (in order, not overlapping) with the gaps between them, covering
/// `0..<count`: what a split decides on.
func segments(of matches: [Range<Int>], count: Int) -> [(range: Range<Int>, isMatch: Bool)] {
    var out: [(range: Range<Int>, isMatch: Bool)] = []
    var previous = 0
    for m in matches {
        if m.lowerBound > previous { out.append((previous..<m.lowerBound, false)) }
        out.append((m, true))
        previous = m.upperBound
    }
    if previous < count { out.append((previous..<count, false)) }
    return out
}

/// Each character for which `isMatch` holds is a match of its own.
func characterMatches(_ bytes: [UInt8], _ isMatch: (Unicode.Scalar) -> Bool) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var i = 0
    while i < bytes.count {
        let (scalar, length) = decodeScalar(bytes, at: i)
        if isMatch(scalar) { out.append(i..<(i + length)) }
        i += length
    }
    return out
}

/// The scalar of valid UTF-8 starting at byte `i`, and its length.
@inline(__always) func decodeScalar(_ bytes: [UInt8], at i: Int) -> (Unicode.Scalar, Int) {
    let b0 = UInt32(bytes[i])
    if b0 < 0x80 { return (Unicode.Scalar(UInt8(b0)), 1) }
    if b0 < 0xE0 { return (Unicode.Scalar((b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F))!, 2) }
    if b0 < 0xF0 {
        return (Unicode.Scalar((b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F))!, 3)
    }
    let v = (b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
    return (Unicode.Scalar(v)!, 4)
}

// MARK: - Pre-tokenizer

/// One pre-tokenizer of a tokenizer.json.
protocol PreTokenizer {
    /// Cuts (and maybe rewrites) one piece, appending the results to `out`.
    func split(_ piece: PreToken, into out: inout [PreToken])
}

extension PreTokenizer {
    /// Every piece through `split`. A byte-level piece reaches a later pre-tokenizer with its
    /// characters written out, as the library's would.
    func preTokenize(_ pieces: [PreToken]) -> [PreToken] {
        var out: [PreToken] = []
        out.reserveCapacity(pieces.count)
        for piece in pieces { split(piece.materialized, into: &out) }
        return out
    }
}

/// Several pre-tokenizers, one after another.
struct SequencePreTokenizer: PreTokenizer {
    let steps: [PreTokenizer]

    func split(_ piece: PreToken, into out: inout [PreToken]) {
        var pieces = [piece]
        for step in steps { pieces = step.preTokenize(pieces) }
        out += pieces
    }
}

/// The pre-tokenizer types this reader implements.
enum PreTokenizerFactory {
    static let supported = ["ByteLevel", "Split", "Metaspace", "BertPreTokenizer", "Whitespace", "WhitespaceSplit",
                            "Digits", "Punctuation", "CharDelimiterSplit", "Sequence"]

    /// The pre-tokenizer described by `node`.
    static func make(_ node: ConfigNode) throws -> PreTokenizer {
        switch try node.type(of: "pre-tokenizer", supported: supported) {
        case "ByteLevel": return try ByteLevelPreTokenizer(node)
        case "Split": return try SplitPreTokenizer(node)
        case "Metaspace": return try MetaspacePreTokenizer(node)
        case "BertPreTokenizer": return BertPreTokenizer()
        case "Whitespace": return WhitespacePreTokenizer()
        case "WhitespaceSplit": return CharacterSplitPreTokenizer(behavior: .removed) { $0.properties.isWhitespace }
        case "Digits":
            let individual = try node.bool("individual_digits", default: false)
            return CharacterSplitPreTokenizer(behavior: individual ? .isolated : .contiguous, isMatch: WordClasses.isNumeric)
        case "Punctuation":
            return CharacterSplitPreTokenizer(behavior: try SplitBehavior(node, default: .isolated), isMatch: BertNormalizer.isPunctuation)
        case "CharDelimiterSplit":
            let delimiter = try node.character("delimiter")
            return CharacterSplitPreTokenizer(behavior: .removed) { $0 == delimiter }
        default:
            return SequencePreTokenizer(steps: try node.elements("pretokenizers").map(make))
        }
    }
}
