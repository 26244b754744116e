// GPT-2's byte-to-unicode table. Byte-level BPE works on bytes, but GPT-2's files store
// tokens as text; so each of the 256 bytes gets a printable character: the printable bytes
// ('!'…'~', '¡'…'¬', '®'…'ÿ') stand for themselves, and the other 68 (space, control
// characters, …) are shifted to U+0100 and up — which is why a space shows as 'Ġ' (U+0120)
// and a newline as 'Ċ' (U+010A) in GPT-2's vocabulary.

public enum ByteLevel {
    /// The character standing for each byte, indexed by byte value.
    public static let byteToCharacter: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte each of those characters stands for.
    public static let characterToByte: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, c) in byteToCharacter.enumerated() { map[c.value] = UInt8(b) }
        return map
    }()

    /// The bytes a GPT-2 token string stands for, or nil if it has a character outside the table.
    public static func bytes(of token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for s in token.unicodeScalars {
            guard let b = characterToByte[s.value] else { return nil }
            out.append(b)
        }
        return out
    }

    /// The GPT-2 token string of some bytes.
    public static func text(of bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(byteToCharacter[Int(b)]) }
        return String(s)
    }
}
