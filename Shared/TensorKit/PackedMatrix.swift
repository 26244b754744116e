// A weight matrix kept in fewer bytes than float32, for inference: bfloat16 or float16 (two
// bytes a weight, as checkpoints are published) or int8 in blocks of 32 with one float32
// scale per block (1.125 bytes a weight, llama.cpp's q8_0 idea with a float scale).
//
// Decoding one token reads every weight of the model once and does two flops with each, so
// a CPU decoder waits on memory, not on arithmetic: halving the bytes per weight nearly
// doubles the tokens per second. The kernels (Kernels/PackedGemm.swift) widen the weights to
// float32 in registers and compute in float32, so only the weights are rounded, never the
// activations or the sums.
//
//     int8 block of 32 weights w₀…w₃₁:   scale = max |wᵢ| / 127,   qᵢ = round(wᵢ / scale)
//                                        wᵢ ≈ scale · qᵢ  (error at most scale / 2)

/// How a `PackedMatrix` stores its weights.
public enum PackedFormat: String, CaseIterable, Sendable {
    /// The top 16 bits of each float32 (8 exponent bits, 7 fraction bits).
    case bfloat16
    /// IEEE half precision (5 exponent bits, 10 fraction bits).
    case float16
    /// Blocks of 32 int8 values along each row, each block with a float32 scale.
    case int8

    /// Storage bytes per weight (scales included).
    public var bytesPerWeight: Double {
        switch self {
        case .bfloat16, .float16: return 2
        case .int8: return 1 + 4.0 / Double(PackedMatrix.blockSize)
        }
    }
}

/// A (rows × columns) weight matrix — `nn.Linear`'s (out, in) — stored as `format`.
///
///     let w = Tensor.randn([64, 128])                 // (out, in) float32
///     let q = PackedMatrix(quantizing: w, to: .int8)  // 9,216 bytes instead of 32,768
///     let y = q.linear(x)                             // (…, 128) → (…, 64), like x · wᵀ
public final class PackedMatrix: @unchecked Sendable {   // Sendable: never written after init
    /// Weights per int8 block (along a row).
    public static let blockSize = 32

    public let format: PackedFormat
    public let rows: Int, columns: Int
    /// The 16-bit formats: rows × columns little-endian values, row-major. Points into
    /// `owner` (an array of this object's, or a memory-mapped checkpoint).
    let halves: UnsafePointer<UInt16>?
    /// int8: rows × paddedColumns values (each row padded with zeros to whole blocks).
    let quants: UnsafeMutablePointer<Int8>?
    /// int8: rows × (paddedColumns / 32) scales.
    let scales: UnsafeMutablePointer<Float>?
    /// What keeps `halves` alive when they live in memory this object does not own.
    private let owner: AnyObject?

    /// Columns rounded up to whole int8 blocks.
    var paddedColumns: Int { (columns + Self.blockSize - 1) / Self.blockSize * Self.blockSize }
    var blocksPerRow: Int { paddedColumns / Self.blockSize }

    /// Bytes of weight storage (what decoding streams from memory per token).
    public var byteCount: Int {
        switch format {
        case .bfloat16, .float16: return rows * columns * 2
        case .int8: return rows * paddedColumns + rows * blocksPerRow * 4
        }
    }

    /// Packs a float32 (rows, columns) tensor: bfloat16 and float16 round to nearest even;
    /// int8 takes a scale per block of 32.
    public init(quantizing weight: Tensor, to format: PackedFormat) {
        precondition(weight.rank == 2, "PackedMatrix: weight must be 2-D (out, in), got \(describeShape(weight.shape))")
        self.format = format
        rows = weight.shape[0]
        columns = weight.shape[1]
        owner = nil
        let source = weight.widened().data   // read once, at packing time
        switch format {
        case .bfloat16, .float16:
            let out = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, rows * columns))
            for i in 0..<(rows * columns) {
                out[i] = format == .bfloat16 ? floatToBFloat16(source[i]) : floatToFloat16(source[i])
            }
            halves = UnsafePointer(out)
            quants = nil
            scales = nil
        case .int8:
            let padded = (columns + Self.blockSize - 1) / Self.blockSize * Self.blockSize
            let blocks = padded / Self.blockSize
            let q = UnsafeMutablePointer<Int8>.allocate(capacity: max(1, rows * padded))
            let s = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows * blocks))
            q.initialize(repeating: 0, count: max(1, rows * padded))
            for r in 0..<rows {
                for blk in 0..<blocks {
                    let start = blk * Self.blockSize, end = min(start + Self.blockSize, columns)
                    var largest: Float = 0
                    for c in start..<end { largest = max(largest, abs(source[r * columns + c])) }
                    let scale = largest / 127
                    s[r * blocks + blk] = scale
                    guard scale > 0 else { continue }
                    for c in start..<end {
                        q[r * padded + c] = Int8((source[r * columns + c] / scale).rounded(.toNearestOrAwayFromZero))
                    }
                }
            }
            halves = nil
            quants = q
            scales = s
        }
    }

    /// Wraps 16-bit weights that already lie in memory — for example a bfloat16 tensor of a
    /// memory-mapped safetensors file — without copying them. `owner` is kept alive as long
    /// as this matrix is, so the mapping stays valid.
    public init(halves: UnsafePointer<UInt16>, format: PackedFormat, rows: Int, columns: Int, owner: AnyObject) {
        precondition(format != .int8, "PackedMatrix(halves:): int8 weights are made by init(quantizing:to:)")
        precondition(rows >= 0 && columns >= 0, "PackedMatrix: negative shape (\(rows), \(columns))")
        self.format = format
        self.rows = rows
        self.columns = columns
        self.halves = halves
        self.owner = owner
        quants = nil
        scales = nil
    }

    /// Wraps a tensor whose storage already holds bfloat16 or float16 elements (a checkpoint
    /// tensor read with `SafeTensorsFile.tensorAsStored`), in place: no copy, no float32.
    /// Nil for float32 tensors.
    public convenience init?(wrapping weight: Tensor) {
        precondition(weight.rank == 2, "PackedMatrix: weight must be 2-D (out, in), got \(describeShape(weight.shape))")
        let format: PackedFormat
        switch weight.storage.form {
        case .float32: return nil
        case .bfloat16: format = .bfloat16
        case .float16: format = .float16
        }
        self.init(halves: weight.storage.bytes.assumingMemoryBound(to: UInt16.self), format: format,
                  rows: weight.shape[0], columns: weight.shape[1], owner: weight.storage)
    }

    deinit {
        if owner == nil, let halves { UnsafeMutablePointer(mutating: halves).deallocate() }
        quants?.deallocate()
        scales?.deallocate()
    }

    /// The weights widened back to float32 (rows, columns): what the kernels compute with.
    public func unpacked() -> Tensor {
        var out = [Float](repeating: 0, count: rows * columns)
        out.withUnsafeMutableBufferPointer { o in
            for r in 0..<rows { widenRow(r, into: o.baseAddress! + r * columns) }
        }
        return Tensor(shape: [rows, columns], data: out)   // (rows, columns)
    }

    /// Writes row `r`, widened to float32, to `out` (`columns` floats).
    @inline(__always)
    func widenRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        switch format {
        case .bfloat16:
            let h = halves! + r * columns
            for c in 0..<columns { out[c] = bfloat16ToFloat(UInt16(littleEndian: h[c])) }
        case .float16:
            let h = halves! + r * columns
            for c in 0..<columns { out[c] = float16ToFloat(UInt16(littleEndian: h[c])) }
        case .int8:
            let q = quants! + r * paddedColumns, s = scales! + r * blocksPerRow
            for c in 0..<columns { out[c] = s[c / Self.blockSize] * Float(q[c]) }
        }
    }
}

// MARK: - Rounding float32 to 16 bits

/// The bfloat16 nearest to `x` (ties to even); NaN stays NaN.
///
///     floatToBFloat16(1.0)        // 0x3F80
///     floatToBFloat16(1.0 / 3)    // 0x3EAB (0.333984375)
@inline(__always)
public func floatToBFloat16(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    if x.isNaN { return UInt16(bits >> 16) | 0x0040 }   // keep it a NaN after truncation
    let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
    return UInt16((bits &+ roundingBias) >> 16)
}

/// The float16 nearest to `x` (ties to even), saturating to ±infinity past 65,504 as IEEE
/// rounding does; subnormal float16s for tiny values.
@inline(__always)
public func floatToFloat16(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let magnitude = bits & 0x7FFF_FFFF
    if magnitude >= 0x7F80_0000 {   // infinity or NaN
        return sign | 0x7C00 | (magnitude > 0x7F80_0000 ? 0x0200 : 0)
    }
    if magnitude >= 0x4780_0000 { return sign | 0x7C00 }   // ≥ 65,536: past the largest half after rounding
    if magnitude < 0x3880_0000 {
        // below 2⁻¹⁴: a subnormal half, the value in units of 2⁻²⁴ rounded to nearest even
        let value = Float(bitPattern: magnitude) * 0x1p24
        let rounded = value.rounded(.toNearestOrEven)
        return sign | UInt16(rounded)
    }
    // normal: re-bias the exponent, round the 13 dropped fraction bits to nearest even
    let rebased = magnitude &- 0x3800_0000   // exponent − (127 − 15), still in float32's field layout
    let roundingBias: UInt32 = 0x0FFF + ((rebased >> 13) & 1)
    return sign | UInt16(truncatingIfNeeded: (rebased &+ roundingBias) >> 13)
}
