// Seeded mutations of a file's bytes, for fuzz tests: a parser fed thousands of damaged
// versions of a real file must end each one with a typed error naming the file, or a valid
// parse — never a crash, a hang or an allocation the file's size does not justify.
//
//     var mutator = Mutator(seed: 1, tokens: Mutator.jsonTokens)
//     for _ in 0..<2000 {
//         let (bytes, how) = mutator.mutate(original)
//         try Data(bytes).write(to: url)
//         do { _ = try parse(url) } catch let error as SomeTypedError { … check it names url … }
//     }
//
// `how` says what was done ("flip bit 3 of byte 118; truncate to 40 bytes"), so a failing case
// can be told apart and reproduced from its seed.

import Foundation

/// SplitMix64: a small, seeded, portable generator (the same numbers on every platform).
public struct SplitMix64 {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A uniform integer in 0..<n.
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Damages bytes in the ways real files get damaged, and in the ways that reach a parser's
/// edge cases: truncation, bit flips, inserted, deleted, repeated or swapped bytes, numbers
/// replaced by extreme ones (huge lengths, negative sizes, 2⁶⁴ − 1), binary fields overwritten
/// with boundary values, and tokens of the format (`"dtype"`, `"F16"`, `[`, `}`) inserted or
/// swapped for one another (wrong dtypes, offsets, nesting). One to three mutations a case.
public struct Mutator {
    private var random: SplitMix64
    /// Format-specific byte strings to insert, and to swap for one another where they occur.
    public let tokens: [[UInt8]]
    /// Byte offsets worth overwriting more often than others (a binary length prefix at 0).
    public let hotOffsets: [Int]

    public init(seed: UInt64, tokens: [String] = [], hotOffsets: [Int] = []) {
        random = SplitMix64(seed: seed)
        self.tokens = tokens.map { Array($0.utf8) }
        self.hotOffsets = hotOffsets
    }

    /// Numbers that break careless parsers, as text: zero, negatives, the edges of 32- and
    /// 64-bit integers, past them, floats where integers belong, overflowing floats.
    public static let extremeNumbers = [
        "0", "-1", "1", "-0", "2", "3", "7", "255", "256", "65535", "65536", "2147483647", "2147483648", "-2147483649",
        "4294967295", "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "18446744073709551615", "18446744073709551616", "99999999999999999999999999", "1.5", "1e3", "1e308", "1e309",
        "-1e309", "0.0000001", "00", "+1",
    ]

    /// Bytes of JSON's structure, for JSON files.
    public static let jsonTokens = [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "null", "true", "false", "[]", "{}", "\"\"",
        "[[[[[[[[[[[[[[[[", "{\"a\":{\"a\":{\"a\":{\"a\":", "-", "e", ".",
    ]

    /// Little-endian boundary values for binary fields of 1, 2, 4 and 8 bytes.
    static let extremeWords: [UInt64] = [
        0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
        0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF, 100_000_000, 100_000_001,
    ]

    /// A damaged copy of `original`, and what was done to it.
    public mutating func mutate(_ original: [UInt8]) -> (bytes: [UInt8], description: String) {
        var bytes = original
        var steps: [String] = []
        for _ in 0...random.below(3) where steps.count < 3 {
            steps.append(mutateOnce(&bytes))
            if random.below(4) == 0 { break }
        }
        return (bytes, steps.joined(separator: "; "))
    }

    private mutating func position(in bytes: [UInt8], inclusiveEnd: Bool = false) -> Int {
        let n = bytes.count + (inclusiveEnd ? 1 : 0)
        if n == 0 { return 0 }
        if !hotOffsets.isEmpty && random.below(4) == 0 {
            let hot = hotOffsets[random.below(hotOffsets.count)]
            if hot < n { return hot }
        }
        return random.below(n)
    }

    private mutating func randomBytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    /// Where to look for numbers and tokens: the whole of a small file; in a large one, 4 KB
    /// from its start (where headers are) or from a random place (scanning megabytes for
    /// every case would make the run slow).
    private mutating func window(in bytes: [UInt8]) -> Range<Int> {
        let size = 4096
        guard bytes.count > size else { return 0..<bytes.count }
        let start = random.below(2) == 0 ? 0 : random.below(bytes.count - size)
        return start..<(start + size)
    }

    /// The ranges of ASCII digits (with a leading minus and any decimal points) in `bytes[window]`.
    private func numbers(in bytes: [UInt8], _ window: Range<Int>) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var i = window.lowerBound
        while i < window.upperBound {
            guard (0x30...0x39).contains(bytes[i]) else { i += 1; continue }
            var start = i
            if start > 0 && bytes[start - 1] == 0x2D { start -= 1 }
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) || bytes[i] == 0x2E { i += 1 }
            ranges.append(start..<i)
        }
        return ranges
    }

    /// Where `token` occurs in `bytes[window]` (at most 256 places).
    private func occurrences(of token: [UInt8], in bytes: [UInt8], _ window: Range<Int>) -> [Int] {
        guard !token.isEmpty, token.count <= bytes.count else { return [] }
        var found: [Int] = []
        var i = window.lowerBound
        while i + token.count <= min(window.upperBound + token.count - 1, bytes.count) && found.count < 256 {
            if bytes[i] == token[0] && bytes[i..<(i + token.count)].elementsEqual(token) { found.append(i) }
            i += 1
        }
        return found
    }

    private mutating func mutateOnce(_ bytes: inout [UInt8]) -> String {
        switch random.below(11) {
        case 0:
            // truncated: often just short of the end (a cut download), sometimes anywhere
            let keep = random.below(2) == 0 ? max(0, bytes.count - 1 - random.below(16)) : random.below(bytes.count + 1)
            bytes.removeSubrange(min(keep, bytes.count)...)
            return "truncate to \(bytes.count) bytes"
        case 1:
            guard !bytes.isEmpty else { return "flip nothing" }
            let flips = 1 + random.below(4)
            var what: [String] = []
            for _ in 0..<flips {
                let (i, bit) = (position(in: bytes), random.below(8))
                bytes[i] ^= 1 << bit
                what.append("bit \(bit) of byte \(i)")
            }
            return "flip " + what.joined(separator: ", ")
        case 2:
            let at = position(in: bytes, inclusiveEnd: true), inserted = randomBytes(1 + random.below(16))
            bytes.insert(contentsOf: inserted, at: at)
            return "insert \(inserted.count) random bytes at \(at)"
        case 3:
            guard !bytes.isEmpty else { return "delete nothing" }
            let at = position(in: bytes), count = min(1 + random.below(64), bytes.count - at)
            bytes.removeSubrange(at..<(at + count))
            return "delete \(count) bytes at \(at)"
        case 4:
            // a binary field overwritten with a boundary value
            let width = [1, 2, 4, 8][random.below(4)]
            guard bytes.count >= width else { return "overwrite nothing" }
            let at = min(position(in: bytes), bytes.count - width)
            let value = Self.extremeWords[random.below(Self.extremeWords.count)]
            for k in 0..<width { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
            return "write \(value) in \(width) bytes at \(at)"
        case 5, 6:
            // a number in the text replaced by an extreme one (sizes, offsets, ids, lengths)
            let ranges = numbers(in: bytes, window(in: bytes))
            guard !ranges.isEmpty else { return mutateOnce(&bytes) }
            let range = ranges[random.below(ranges.count)], number = Self.extremeNumbers[random.below(Self.extremeNumbers.count)]
            bytes.replaceSubrange(range, with: Array(number.utf8))
            return "replace the number at \(range.lowerBound) with \(number)"
        case 7:
            guard !tokens.isEmpty else { return mutateOnce(&bytes) }
            let token = tokens[random.below(tokens.count)], at = position(in: bytes, inclusiveEnd: true)
            bytes.insert(contentsOf: token, at: at)
            return "insert \(String(decoding: token, as: UTF8.self).debugDescription) at \(at)"
        case 8:
            // one token of the format swapped for another where it occurs (a wrong dtype, key or bracket)
            guard tokens.count >= 2 else { return mutateOnce(&bytes) }
            let from = tokens[random.below(tokens.count)], to = tokens[random.below(tokens.count)]
            let places = occurrences(of: from, in: bytes, window(in: bytes))
            guard !places.isEmpty else { return mutateOnce(&bytes) }
            let at = places[random.below(places.count)]
            bytes.replaceSubrange(at..<(at + from.count), with: to)
            return "replace \(String(decoding: from, as: UTF8.self).debugDescription) at \(at) with \(String(decoding: to, as: UTF8.self).debugDescription)"
        case 9:
            // a chunk repeated elsewhere (duplicated keys, lines, fields)
            guard !bytes.isEmpty else { return "repeat nothing" }
            let start = position(in: bytes), count = min(1 + random.below(256), bytes.count - start)
            let chunk = Array(bytes[start..<(start + count)]), at = position(in: bytes, inclusiveEnd: true)
            bytes.insert(contentsOf: chunk, at: at)
            return "repeat bytes \(start)..<\(start + count) at \(at)"
        default:
            // two chunks swapped (fields out of order)
            guard bytes.count >= 2 else { return "swap nothing" }
            let a = random.below(bytes.count), b = random.below(bytes.count)
            let (lo, hi) = (min(a, b), max(a, b)), length = min(1 + random.below(32), hi - lo, bytes.count - hi)
            guard length > 0 else { return "swap nothing" }
            let first = Array(bytes[lo..<(lo + length)]), second = Array(bytes[hi..<(hi + length)])
            bytes.replaceSubrange(hi..<(hi + length), with: first)
            bytes.replaceSubrange(lo..<(lo + length), with: second)
            return "swap \(length) bytes at \(lo) and \(hi)"
        }
    }
}
