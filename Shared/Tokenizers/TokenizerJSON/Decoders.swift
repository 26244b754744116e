// Step 5 of a tokenizer.json pipeline, the way back: the decoder turns the tokens of some ids
// into text. Each decoder maps a list of token strings to a new list; a Sequence chains them;
// the results are joined. Llama 2 and Mistral chain four: "▁" → " ", "<0xE6>"-style byte tokens
// → characters, everything joined, the one leading space (the "▁" the pre-tokenizer put in
// front) removed.

// MARK: - Decoder

/// One decoder of a tokenizer.json.
protocol TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String]
}

/// The decoder types this reader implements.
enum DecoderFactory {
    static let supported = ["ByteLevel", "Metaspace", "WordPiece", "ByteFallback", "Fuse", "Strip", "Replace",
                            "BPEDecoder", "CTC", "Sequence"]

    static func make(_ node: ConfigNode) throws -> TokenDecoder {
        switch try node.type(of: "decoder", supported: supported) {
        case "ByteLevel": return ByteLevelDecoder()
        case "Metaspace": return try MetaspaceDecoder(node)
        case "WordPiece":
            return WordPieceDecoder(prefix: try node.optionalString("prefix") ?? "##", cleanup: try node.bool("cleanup", default: true))
        case "ByteFallback": return ByteFallbackDecoder()
        case "Fuse": return FuseDecoder()
        case "Strip":
            return StripDecoder(content: try node.character("content"), start: try node.int("start"), stop: try node.int("stop"))
        case "Replace":
            return ReplaceDecoder(pattern: try PatternFactory.make(try node.child("pattern")), content: try node.string("content"))
        case "BPEDecoder": return BPESuffixDecoder(suffix: try node.optionalString("suffix") ?? "</w>")
        case "CTC":
            return CTCDecoder(padToken: try node.optionalString("pad_token") ?? "<pad>",
                              wordDelimiter: try node.optionalString("word_delimiter_token") ?? "|",
                              cleanup: try node.bool("cleanup", default: true))
        default: return SequenceDecoder(steps: try node.elements("decoders").map(make))
        }
    }
}

/// Several decoders, one after another.
struct SequenceDecoder: TokenDecoder {
    let steps: [TokenDecoder]

    func decodeChain(_ tokens: [String]) -> [String] { steps.reduce(tokens) { $1.decodeChain($0) } }
}

/// All tokens joined into one.
struct FuseDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined()] }
}

/// Runs of byte tokens "<0x41>" become the text of their bytes; if those bytes are not valid
/// UTF-8, each becomes U+FFFD.
struct ByteFallbackDecoder: TokenDecoder {
    /// The byte of a token "<0xXX>", read as the library reads it (Rust's `u8::from_str_radix`
    /// on the two characters, which also accepts a leading "+": "<0x+A>" is 0x0A).
    static func byte(of token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x41 + 10
            case 0x61...0x66: return c - 0x61 + 10
            default: return nil
            }
        }
        if u[3] == 0x2B { return hex(u[4]) }
        guard let high = hex(u[3]), let low = hex(u[4]) else { return nil }
        return high << 4 | low
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let text = String(validating: pending, as: UTF8.self) {
                out.append(text)
            } else {
                out += Array(repeating: "\u{FFFD}", count: pending.count)
            }
            pending.removeAll()
        }
        for token in tokens {
            if let b = Self.byte(of: token) {
                pending.append(b)
            } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }
}

/// Removes up to `start` leading and `stop` trailing copies of a character from each token.
struct StripDecoder: TokenDecoder {
    let content: Unicode.Scalar
    let start: Int, stop: Int

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            var from = 0
            while from < min(start, scalars.count) && scalars[from] == content { from += 1 }
            var to = scalars.count
            while scalars.count - to < stop && to > from && scalars[to - 1] == content { to -= 1 }
            var out = String.UnicodeScalarView()
            out.append(contentsOf: scalars[from..<to])
            return String(out)
        }
    }
}

/// Replaces the matches of a pattern in each token.
struct ReplaceDecoder: TokenDecoder {
    let pattern: TextPattern
    let content: String

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            var out: [UInt8] = []
            let bytes = Array(token.utf8)
            let found = bytes.withUnsafeBufferPointer { pattern.matches(in: $0) }
            var last = 0
            for m in found {
                out += bytes[last..<m.lowerBound]
                out += content.utf8
                last = m.upperBound
            }
            out += bytes[last...]
            return String(decoding: out, as: UTF8.self)
        }
    }
}

/// WordPiece's: pieces with the prefix are glued to the one before, others get a space; with
/// `cleanup`, the spaces tokenizing put before punctuation and contractions are removed.
struct WordPieceDecoder: TokenDecoder {
    let prefix: String
    let cleanup: Bool

    /// The library's clean-up, in its order.
    static func cleanedUp(_ text: String) -> String {
        var s = text
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                           (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            s = s.replacingOccurrencesOfBytes(from, with: to)
        }
        return s
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            var t = token
            if i > 0 { t = t.hasPrefixBytes(prefix) ? String(decoding: t.utf8.dropFirst(prefix.utf8.count), as: UTF8.self) : " " + t }
            return cleanup ? Self.cleanedUp(t) : t
        }
    }
}

/// The BPE decoder of "word</w>" vocabularies: the suffix becomes a space (nothing at the end).
struct BPESuffixDecoder: TokenDecoder {
    let suffix: String

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            token.replacingOccurrencesOfBytes(suffix, with: i == tokens.count - 1 ? "" : " ")
        }
    }
}

/// Connectionist temporal classification (speech models): repeated tokens collapse into one,
/// the padding token disappears, the word delimiter becomes a space.
struct CTCDecoder: TokenDecoder {
    let padToken: String, wordDelimiter: String
    let cleanup: Bool

    func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var previous: String?
        for token in tokens {
            defer { previous = token }
            if token == previous { continue }
            var t = token.replacingOccurrencesOfBytes(padToken, with: "")
            if cleanup { t = WordPieceDecoder.cleanedUp(t).replacingOccurrencesOfBytes(wordDelimiter, with: " ") }
            if !t.isEmpty { out.append(t) }
        }
        return out
    }
}

// MARK: - Byte-exact string helpers

extension String {
    /// Every occurrence of `target`, left to right without overlaps, replaced — comparing UTF-8
    /// bytes as Rust's `str::replace` does (Foundation compares Characters: it would not find
    /// " ." before a combining mark).
    func replacingOccurrencesOfBytes(_ target: String, with replacement: String) -> String {
        let needle = Array(target.utf8)
        guard !needle.isEmpty else { return self }
        let bytes = Array(utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        var changed = false
        while i < bytes.count {
            if i + needle.count <= bytes.count && bytes[i] == needle[0] && bytes[i..<(i + needle.count)].elementsEqual(needle) {
                out += replacement.utf8
                i += needle.count
                changed = true
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : self
    }

    /// Whether the UTF-8 starts with `prefix`'s UTF-8 (String.hasPrefix compares Characters).
    func hasPrefixBytes(_ prefix: String) -> Bool { utf8.starts(with: prefix.utf8) }
}
