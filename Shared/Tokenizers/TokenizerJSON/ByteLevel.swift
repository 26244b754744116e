// ByteLevel, the part of a tokenizer.json that makes a BPE work on bytes (GPT-2, Llama 3,
// Qwen2): as a pre-tokenizer it may put a space in front, cuts the text with GPT-2's pattern
// (unless a Split before it already did, `use_regex: false`), and writes every byte as one
// printable character (ByteToUnicode.swift: a space is "Ġ"); as a decoder it turns those
// characters back into bytes and the bytes into text.

// MARK: - Tables

/// GPT-2's byte ↔ character table as UTF-8, for the pipeline's byte work.
enum ByteLevelTables {
    /// The UTF-8 of the character standing for each byte ("Ġ" = C4 A0 for 0x20).
    static let utf8OfByte: [[UInt8]] = ByteToUnicode.characterOfByte.map { Array(String($0).utf8) }
}

// MARK: - Pre-tokenizer

/// ByteLevel as a pre-tokenizer. Its pieces stay raw bytes flagged `byteLevel` (see PreToken).
///
///     ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true)
///     // "Hello world" → "Hello", " world" (written "Hello", "Ġworld" in the vocabulary)
struct ByteLevelPreTokenizer: PreTokenizer {
    let addPrefixSpace: Bool
    let useRegex: Bool

    init(addPrefixSpace: Bool, useRegex: Bool) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
    }

    init(_ node: ConfigNode) throws {
        // trim_offsets changes only offsets, which this reader does not compute
        self.init(addPrefixSpace: try node.bool("add_prefix_space", default: true), useRegex: try node.bool("use_regex", default: true))
    }

    func split(_ piece: PreToken, into out: inout [PreToken]) {
        var piece = piece
        if addPrefixSpace && !piece.bytes.isEmpty && piece.bytes[0] != 0x20 {
            piece.bytes.insert(0x20, at: 0)                        // the space aligns with the first character
            if piece.originBytes > 0 { piece.originBytes += 1 }
        }
        piece.byteLevel = true
        guard useRegex else {
            if !piece.bytes.isEmpty { out.append(piece) }
            return
        }
        piece.bytes.withUnsafeBufferPointer { bytes in
            gpt2PreTokenize(bytes) { out.append(piece.slice($0)) }
        }
    }
}

// MARK: - Decoder

/// ByteLevel as a decoder: every token's characters back to bytes (a token with a character
/// outside the table, such as an added "<|im_start|>", keeps its own UTF-8), all tokens joined,
/// then read as UTF-8 with U+FFFD for each invalid sequence.
struct ByteLevelDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for token in tokens {
            let start = bytes.count
            var allMapped = true
            for s in token.unicodeScalars {
                guard let b = ByteToUnicode.byte(of: s) else { allMapped = false; break }
                bytes.append(b)
            }
            if !allMapped {
                bytes.removeSubrange(start...)
                bytes += token.utf8
            }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}
