// The two 16-bit float formats of checkpoints, widened to float32 exactly.
//
//                  sign  exponent  fraction
//     float32       1      8 bits   23 bits    bias 127
//     float16       1      5 bits   10 bits    bias 15     (IEEE 754 binary16, "F16")
//     bfloat16      1      8 bits    7 bits    bias 127    (the top half of a float32, "BF16")
//
// Every float16 and every bfloat16 is exactly a float32, so widening loses nothing. Swift's
// own `Float16` would do it too, but it does not exist on Intel Macs; these work everywhere.

// MARK: - One number

/// The float32 equal to the IEEE half-precision number with bits `h`, exactly: normal
/// numbers, subnormals, ±0, ±infinity and NaN.
///
///     float16ToFloat(0x3C00)   // 1.0
///     float16ToFloat(0x7BFF)   // 65504.0, the largest float16
///     float16ToFloat(0x0001)   // 5.9604645e-08 = 2⁻²⁴, the smallest
@inline(__always)
public func float16ToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = UInt32(h >> 10) & 0x1F
    let fraction = UInt32(h) & 0x3FF
    switch exponent {
    case 0:
        // Zero or subnormal: fraction × 2⁻²⁴, with no implicit leading 1. Exact: the
        // fraction has 10 bits and a float32 has 24.
        let magnitude = Float(fraction) * 0x1p-24
        return sign != 0 ? -magnitude : magnitude
    case 31:
        // Infinity (fraction 0) or NaN (the fraction, shifted into place, keeps the payload).
        return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13)
    default:
        // Normal: the same number with the exponent re-biased from 15 to 127 and the fraction
        // padded with 13 zero bits.
        return Float(bitPattern: sign | (exponent + (127 - 15)) << 23 | fraction << 13)
    }
}

/// The float32 equal to the bfloat16 with bits `b`: those 16 bits followed by 16 zero bits.
///
///     bfloat16ToFloat(0x3F80)   // 1.0
///     bfloat16ToFloat(0x3EAA)   // 0.33203125, the bfloat16 nearest to 1/3
@inline(__always)
public func bfloat16ToFloat(_ b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
}

// MARK: - Many numbers

/// Widens `count` little-endian float16s at `source` (any alignment) into `out`.
func decodeFloat16(from source: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
    for i in 0..<count {
        out[i] = float16ToFloat(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
    }
}

/// Widens `count` little-endian bfloat16s at `source` (any alignment) into `out`.
func decodeBFloat16(from source: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
    for i in 0..<count {
        out[i] = bfloat16ToFloat(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
    }
}
