// GPT-2's byte-to-unicode table.
//
// Byte-level BPE works on bytes, but GPT-2's files (`encoder.json`, `vocab.bpe`) store tokens
// as text, and a token's bytes need not be valid UTF-8 (a token may hold half of a character).
// So each of the 256 bytes gets one printable character to stand for it: the 188 printable
// bytes ('!'…'~', '¡'…'¬', '®'…'ÿ') stand for themselves, and the other 68 (space, control
// characters, DEL, the no-break space, the soft hyphen, …) are given U+0100, U+0101, … in byte
// order. That is why a space shows as 'Ġ' (U+0120) and a newline as 'Ċ' (U+010A) in GPT-2's
// vocabulary: " the" is stored as "Ġthe".

/// GPT-2's table between the 256 bytes and the characters that stand for them in its files.
///
///     ByteToUnicode.text(of: Array(" the\n".utf8))   // "ĠtheĊ"
///     ByteToUnicode.bytes(of: "ĠtheĊ")               // [32, 116, 104, 101, 10]
///     ByteToUnicode.bytes(of: "€")                   // nil: not one of the 256 characters
public enum ByteToUnicode {
    /// Whether a byte is printable as the Latin-1 character of the same value.
    @inline(__always) static func isPrintable(_ b: Int) -> Bool {
        (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
    }

    /// The character standing for each byte, indexed by byte value.
    public static let characterOfByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256                      // the next unused character for a non-printable byte
        for b in 0..<256 {
            if isPrintable(b) {
                table[b] = Unicode.Scalar(UInt8(b))
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte each character stands for, indexed by the character's code point (0..<324);
    /// -1 for a character that stands for no byte.
    static let byteOfCharacter: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (b, c) in characterOfByte.enumerated() { table[Int(c.value)] = Int16(b) }
        return table
    }()

    /// The byte a character stands for, or nil if it is not one of the 256.
    @inline(__always) public static func byte(of character: Unicode.Scalar) -> UInt8? {
        let v = Int(character.value)
        guard v < byteOfCharacter.count, byteOfCharacter[v] >= 0 else { return nil }
        return UInt8(byteOfCharacter[v])
    }

    /// The bytes a token of GPT-2's files stands for, or nil if it has a character outside the table.
    public static func bytes(of token: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for s in token.unicodeScalars {
            guard let b = byte(of: s) else { return nil }
            out.append(b)
        }
        return out
    }

    /// The bytes a token of GPT-2's files stands for, or nil if it has a character outside the table.
    public static func bytes(of token: String) -> [UInt8]? { bytes(of: Substring(token)) }

    /// How GPT-2's files write a token made of these bytes.
    public static func text(of bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(characterOfByte[Int(b)]) }
        return String(s)
    }
}
