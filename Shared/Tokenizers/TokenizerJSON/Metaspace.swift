// Metaspace, SentencePiece's way with spaces in a tokenizer.json (Mistral, Llama converted
// from SentencePiece, T5-style Unigram models): as a pre-tokenizer it writes every space as "▁"
// (U+2581), puts a "▁" in front so that the first word looks like the others, and may cut the
// text before each "▁"; as a decoder it turns "▁" back into spaces.
//
// prepend_scheme says when the "▁" goes in front: "always" (every piece the pre-tokenizer
// receives, so also the text after an added token), "first" (only the piece that starts the
// input), "never".

// MARK: - Options

/// When Metaspace puts a "▁" in front.
enum PrependScheme: String {
    case always, first, never

    /// Reads prepend_scheme (default "always"), or the older add_prefix_space (false = never).
    init(_ node: ConfigNode) throws {
        let scheme: PrependScheme
        let given = try node.optionalChild("prepend_scheme")
        if let given {
            let name = try given.stringValue()
            guard let s = PrependScheme(rawValue: name) else {
                throw given.error("\(name.debugDescription) is not a prepend scheme", hint: "one of always, first, never")
            }
            scheme = s
        } else {
            scheme = .always
        }
        if try node.optionalChild("add_prefix_space") != nil, try !node.bool("add_prefix_space") {
            guard scheme == .never || given == nil else {
                throw node.error("add_prefix_space false contradicts prepend_scheme \(scheme.rawValue)")
            }
            self = .never
            return
        }
        self = scheme
    }
}

// MARK: - Pre-tokenizer

/// Metaspace as a pre-tokenizer.
///
///     MetaspacePreTokenizer(replacement: "▁", prependScheme: .always, split: true)
///     // "Hello  world" → "▁Hello", "▁", "▁world"
struct MetaspacePreTokenizer: PreTokenizer {
    let replacement: [UInt8]
    let prependScheme: PrependScheme
    let splitAtReplacement: Bool

    init(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool) {
        self.replacement = Array(String(replacement).utf8)
        self.prependScheme = prependScheme
        self.splitAtReplacement = split
    }

    init(_ node: ConfigNode) throws {
        self.init(replacement: try node.character("replacement"), prependScheme: try PrependScheme(node),
                  split: try node.bool("split", default: true))
    }

    func split(_ piece: PreToken, into out: inout [PreToken]) {
        // every space becomes the replacement (which aligns with the space it replaces)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(piece.bytes.count + 3)
        var origin = 0
        for (k, b) in piece.bytes.enumerated() {
            let written = b == 0x20 ? replacement[...] : [b][...]
            bytes += written
            if k < piece.originBytes { origin += written.count }
        }
        var rewritten = PreToken(bytes: bytes, originBytes: origin)
        let startsWithReplacement = bytes.starts(with: replacement)
        let prepend = switch prependScheme {
        case .always: !startsWithReplacement
        case .first: !startsWithReplacement && piece.originBytes > 0
        case .never: false
        }
        if prepend && !bytes.isEmpty {
            rewritten.bytes.insert(contentsOf: replacement, at: 0)
            if rewritten.originBytes > 0 { rewritten.originBytes += replacement.count }
        }
        guard splitAtReplacement else {
            if !rewritten.bytes.isEmpty { out.append(rewritten) }
            return
        }
        var matches: [Range<Int>] = []
        var i = 0
        while i < rewritten.bytes.count {
            if rewritten.bytes[i...].starts(with: replacement) {
                matches.append(i..<(i + replacement.count))
                i += replacement.count
            } else {
                i += 1
            }
        }
        SplitBehavior.mergedWithNext.split(rewritten, segments(of: matches, count: rewritten.bytes.count), into: &out)
    }
}

// MARK: - Decoder

/// Metaspace as a decoder: "▁" becomes a space, except in the first token (unless the scheme
/// is "never"), where every "▁" is dropped — it was the one put in front.
struct MetaspaceDecoder: TokenDecoder {
    let replacement: Unicode.Scalar
    let prependScheme: PrependScheme

    init(_ node: ConfigNode) throws {
        replacement = try node.character("replacement")
        prependScheme = try PrependScheme(node)
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            var out = String.UnicodeScalarView()
            for s in token.unicodeScalars {
                if s != replacement {
                    out.append(s)
                } else if i > 0 || prependScheme == .never {
                    out.append(" ")
                }
            }
            return String(out)
        }
    }
}
