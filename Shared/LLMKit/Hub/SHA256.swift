// SHA-256 (FIPS 180-4) in plain Swift, fed in pieces as a download arrives. The Hugging Face
// Hub names every large file by its SHA-256 (the `X-Linked-Etag` of a download), so a
// downloaded file can be checked against it. (CryptoKit would do this on macOS, but not on
// Linux.)

/// A running SHA-256: `update` with the bytes in order, in pieces of any size, then `finalize`.
///
///     var hash = SHA256()
///     hash.update(Array("ab".utf8))
///     hash.update(Array("c".utf8))
///     hash.finalize().hex   // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
public struct SHA256 {
    /// The eight 32-bit words of the state.
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)
    /// Bytes of an incomplete 64-byte block, waiting for the rest.
    private var pending: [UInt8] = []
    /// How many bytes were hashed so far.
    public private(set) var count: Int = 0

    public init() {
        pending.reserveCapacity(64)
    }

    /// Hashes `bytes`, following everything given before.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var rest = bytes.baseAddress, bytes.count > 0 else { return }
        var left = bytes.count
        count += left
        if !pending.isEmpty {                         // complete the waiting block first
            let take = min(64 - pending.count, left)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: rest, count: take))
            rest += take
            left -= take
            guard pending.count == 64 else { return }
            pending.withUnsafeBytes { compress($0.baseAddress!) }
            pending.removeAll(keepingCapacity: true)
        }
        while left >= 64 {                            // whole blocks straight from the input
            compress(rest)
            rest += 64
            left -= 64
        }
        pending.append(contentsOf: UnsafeRawBufferPointer(start: rest, count: left))
    }

    /// Hashes the bytes of an array.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of everything hashed: pads the message with 0x80, zeros and its length in
    /// bits, hashes the last block(s) and returns the 32 bytes of the state.
    public func finalize() -> SHA256Digest {
        var copy = self
        let bits = UInt64(count) &* 8
        var tail = copy.pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        tail.withUnsafeBytes { buffer in
            for offset in stride(from: 0, to: buffer.count, by: 64) { copy.compress(buffer.baseAddress! + offset) }
        }
        let s = copy.state
        var bytes: [UInt8] = []
        for word in [s.0, s.1, s.2, s.3, s.4, s.5, s.6, s.7] {
            bytes += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
        }
        return SHA256Digest(bytes: bytes)
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: [UInt8]) -> SHA256Digest {
        var h = SHA256()
        h.update(bytes)
        return h.finalize()
    }

    /// One 64-byte block: the message schedule of 64 words, then 64 rounds.
    private mutating func compress(_ block: UnsafeRawPointer) {
        // The schedule lives in a tuple on the stack: no allocation per block.
        var w: (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>) = (.zero, .zero, .zero, .zero)
        withUnsafeMutableBytes(of: &w) { raw in
            let words = raw.bindMemory(to: UInt32.self)
            for i in 0..<16 { words[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            for i in 16..<64 {
                let a = words[i - 15], b = words[i - 2]
                let s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a &>> 3)
                let s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b &>> 10)
                words[i] = words[i - 16] &+ s0 &+ words[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, h) = state
            SHA256.roundConstants.withUnsafeBufferPointer { k in
                for i in 0..<64 {
                    let t1 = h &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ words[i]
                    let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
                    h = g; g = f; f = e; e = d &+ t1
                    d = c; c = b; b = a; a = t1 &+ t2
                }
            }
            state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e, state.5 &+ f, state.6 &+ g, state.7 &+ h)
        }
    }

    /// The first 32 bits of the fractional parts of the cube roots of the first 64 primes.
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}

/// Rotates `x` right by `n` bits (masking shifts: one `ror` instruction, where `>>` would
/// also test for shifts of 32 or more).
@inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
    (x &>> n) | (x &<< (32 &- n))
}

/// The 32 bytes of a SHA-256 digest.
///
///     SHA256.hash([]).hex   // "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
public struct SHA256Digest: Equatable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// The digest as 64 lowercase hexadecimal digits, as the Hub writes it.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes { out += [digits[Int(b >> 4)], digits[Int(b & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }
}
