// Reading safetensors, the checkpoint format of Hugging Face.
//
// A file is three parts:
//
//     ┌──────────┬──────────────────────────────────────────────┬─────────────────────┐
//     │ N (u64)  │ N bytes of JSON, padded with spaces          │ the numbers, raw    │
//     │ 8 bytes  │ {"wte.weight": {"dtype": "F32",              │ little-endian,      │
//     │ little-  │   "shape": [1000, 32],                       │ row-major, tensor   │
//     │ endian   │   "data_offsets": [110080, 238080]}, …,      │ after tensor, no    │
//     │          │  "__metadata__": {"format": "pt"}}           │ gaps                │
//     └──────────┴──────────────────────────────────────────────┴─────────────────────┘
//
// `data_offsets` count bytes from the start of the third part. The file is memory-mapped
// (SafeTensors+Mapping.swift), its header checked (SafeTensors+Header.swift), and the numbers
// converted only when a tensor is asked for (here; the half-precision formats in Half.swift).
// The writer is in SafeTensors+Write.swift.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Number types

/// The number types a safetensors file can hold that the course reads.
///
/// The raw values are the spellings of the header (`"dtype": "BF16"`).
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case F64, F32, F16, BF16, I64, I32, U32, I16, U16, I8, U8, BOOL

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .F64, .I64: return 8
        case .F32, .I32, .U32: return 4
        case .F16, .BF16, .I16, .U16: return 2
        case .I8, .U8, .BOOL: return 1
        }
    }

    /// Whether the elements are floating-point numbers (the others are integers or booleans).
    public var isFloatingPoint: Bool { self == .F64 || self == .F32 || self == .F16 || self == .BF16 }
}

// MARK: - The file

/// A safetensors file, memory-mapped: opening it reads and checks only the header; the
/// numbers of a tensor are converted to `Float` when that tensor is asked for, straight from
/// the mapped bytes, whose pages are then given back to the system. So a 500 MB checkpoint
/// is never held twice in memory: its tensors are the one copy.
///
///     let file = try SafeTensorsFile(contentsOf: url)
///     file.names                                    // ["transformer.h.0.attn.c_attn.bias", …]
///     file.metadata                                 // ["format": "pt"]
///     file.info("transformer.wte.weight")?.shape    // [1000, 32]
///     let wte = try file.tensor("transformer.wte.weight")   // a (1000, 32) Tensor
///     let ids = try inputs.integers("input_ids")    // (shape: [1, 8], values: [464, 3290, …])
///
/// The mapping stays valid while the object lives. Do not truncate or overwrite the file in
/// place meanwhile (the system would stop the program on the next read); `SafeTensors.write`
/// never does: it writes a new file and renames it over the old one.
public final class SafeTensorsFile: Sendable {
    /// What the header says about one tensor.
    public struct Entry: Equatable, Sendable {
        /// How each element is stored.
        public let dtype: SafeTensorsDType
        /// The size of each axis, outermost first; `[]` for a scalar.
        public let shape: [Int]
        /// Where its bytes are, counted from the first byte after the header.
        public let byteRange: Range<Int>

        /// The number of elements: the product of the shape.
        public var count: Int { shape.product }
    }

    /// The file this was read from.
    public let url: URL
    /// Every tensor name, sorted (by UTF-8 bytes, as the reference library sorts them).
    public let names: [String]
    /// The free-form `__metadata__` strings (`["format": "pt"]` in files PyTorch saved).
    public let metadata: [String: String]
    /// The length of the JSON header in bytes (the number in the first 8 bytes).
    public let headerLength: Int

    private let entries: [String: Entry]
    /// The whole file, memory-mapped.
    private let file: MappedFile
    /// Where the data buffer starts in the file: 8 + headerLength.
    private let dataStart: Int
    /// How many bytes of the file are converted at a time (see `forEachPiece`).
    private let pieceBytes: Int

    /// Maps the file and checks its header: lengths, JSON, dtypes, shapes and offsets.
    /// Throws a `SafeTensorsError` that names the file and says what is wrong.
    public convenience init(contentsOf url: URL) throws {
        try self.init(contentsOf: url, pieceBytes: 8 << 20)
    }

    /// `init(contentsOf:)` converting `pieceBytes` of the file at a time (tests use small pieces).
    init(contentsOf url: URL, pieceBytes: Int) throws {
        precondition(pieceBytes >= 8, "SafeTensorsFile: pieces of \(pieceBytes) bytes cannot hold an element")
        self.url = url
        self.pieceBytes = pieceBytes
        file = try MappedFile(path: url.path)
        let header = try SafeTensorsHeader(parsing: file.bytes, path: url.path)
        entries = header.entries
        metadata = header.metadata
        headerLength = header.length
        dataStart = 8 + header.length
        names = entries.keys.sorted(by: utf8Order)
    }

    // MARK: Looking tensors up

    /// The dtype, shape and place of the tensor called `name`, or nil if there is none.
    public func info(_ name: String) -> Entry? { entries[name] }

    /// The entry of `name`, or an error listing names that do exist.
    private func entry(_ name: String) throws -> Entry {
        if let entry = entries[name] { return entry }
        // "wte.weight" asked, "transformer.wte.weight" stored (or the other way round).
        let similar = names.filter { $0.hasSuffix("." + name) || name.hasSuffix("." + $0) }
        let hint = similar.isEmpty
            ? "it holds \(names.count) tensor\(names.count == 1 ? "" : "s")"
                + (names.isEmpty ? "" : ", e.g. " + names.prefix(5).joined(separator: ", "))
            : "did you mean " + similar.prefix(5).joined(separator: " or ") + "?"
        throw SafeTensorsError(.missingTensor, url.path, "has no tensor named \(name)", hint: hint)
    }

    /// Runs `convert(source, first, count)` over a tensor's elements 8 MB of file at a time,
    /// straight from the mapped file (no copy), and gives each piece's pages back to the system
    /// once converted: the converted tensor is the one copy kept, even while it is made.
    private func forEachPiece(of entry: Entry, _ convert: (_ source: UnsafeRawPointer, _ first: Int, _ count: Int) -> Void) {
        let perPiece = pieceBytes / entry.dtype.size
        var first = 0
        while first < entry.count {
            let count = min(perPiece, entry.count - first)
            let begin = dataStart + entry.byteRange.lowerBound + first * entry.dtype.size
            convert(file.bytes.baseAddress! + begin, first, count)
            file.release(begin ..< begin + count * entry.dtype.size)
            first += count
        }
    }

    // MARK: Reading numbers

    /// The tensor called `name`, converted to float32.
    ///
    /// F32 is copied as is; F16 and BF16 are widened exactly (every half-precision number is a
    /// float32); F64 is rounded to the nearest float32. Integer and boolean tensors become
    /// floats too (exact up to 2²⁴ = 16,777,216); read token ids with `integers(_:)` instead.
    public func tensor(_ name: String) throws -> Tensor {
        let entry = try entry(name)
        let values = TensorStorage(uninitialized: entry.count)
        forEachPiece(of: entry) { source, first, n in
            decodeFloats(entry.dtype, from: source, count: n, into: values.floats + first)
        }
        return Tensor(shape: entry.shape, storage: values)
    }

    /// The tensor called `name` as the file stores it, when that is F16 or BF16: its storage
    /// points into the mapped file (nothing is read or widened until used), and keeps the
    /// mapping alive. Other dtypes are converted to float32 as `tensor(_:)` does.
    ///
    ///     let wte = try file.tensorAsStored("model.embed_tokens.weight")
    ///     wte.storage.form          // .bfloat16, for a bfloat16 checkpoint
    ///     wte.widened()             // float32, exactly
    ///
    /// For inference weights: ops need float32 (`widened()`), except kernels written for the
    /// form (see `ElementForm`).
    public func tensorAsStored(_ name: String) throws -> Tensor {
        let entry = try entry(name)
        let form: ElementForm
        switch entry.dtype {
        case .F16: form = .float16
        case .BF16: form = .bfloat16
        default: return try tensor(name)
        }
        let start = file.bytes.baseAddress.map { $0 + dataStart + entry.byteRange.lowerBound } ?? UnsafeRawPointer(bitPattern: 1)!
        return Tensor(shape: entry.shape, storage: TensorStorage(borrowing: start, count: entry.count, form: form, owner: file))
    }

    /// The integer (or boolean) tensor called `name`, such as `input_ids`, as `Int`s.
    /// Throws if the tensor holds floating-point numbers.
    ///
    ///     let (shape, ids) = try file.integers("input_ids")   // [2, 8], 16 token ids
    public func integers(_ name: String) throws -> (shape: [Int], values: [Int]) {
        let entry = try entry(name)
        guard !entry.dtype.isFloatingPoint else {
            throw SafeTensorsError(.wrongKind, url.path, "tensor \(name) holds \(entry.dtype) numbers, not integers",
                                   hint: "read it with tensor(_:)")
        }
        let count = entry.count
        let values = [Int](unsafeUninitializedCapacity: count) { out, initialized in
            forEachPiece(of: entry) { source, first, n in
                decodeIntegers(entry.dtype, from: source, count: n, into: out.baseAddress! + first)
            }
            initialized = count
        }
        return (entry.shape, values)
    }
}

// MARK: - Converting bytes

/// Converts `count` little-endian elements of `dtype` at `source` (any alignment) to floats.
private func decodeFloats(_ dtype: SafeTensorsDType, from source: UnsafeRawPointer, count: Int,
                          into out: UnsafeMutablePointer<Float>) {
    /// Reads element `i` of type `T` (stored little-endian) at `source`.
    func load<T: FixedWidthInteger>(_ i: Int, as type: T.Type) -> T {
        T(littleEndian: source.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
    }
    switch dtype {
    case .F32:
        #if _endian(little)
        // The file's bytes are already float32s in this machine's order: one bulk copy.
        memcpy(out, source, count * 4)
        #else
        for i in 0..<count { out[i] = Float(bitPattern: load(i, as: UInt32.self)) }
        #endif
    case .F16: decodeFloat16(from: source, count: count, into: out)
    case .BF16: decodeBFloat16(from: source, count: count, into: out)
    case .F64: for i in 0..<count { out[i] = Float(Double(bitPattern: load(i, as: UInt64.self))) }
    case .I64: for i in 0..<count { out[i] = Float(load(i, as: Int64.self)) }
    case .I32: for i in 0..<count { out[i] = Float(load(i, as: Int32.self)) }
    case .U32: for i in 0..<count { out[i] = Float(load(i, as: UInt32.self)) }
    case .I16: for i in 0..<count { out[i] = Float(load(i, as: Int16.self)) }
    case .U16: for i in 0..<count { out[i] = Float(load(i, as: UInt16.self)) }
    case .I8: for i in 0..<count { out[i] = Float(load(i, as: Int8.self)) }
    case .U8, .BOOL: for i in 0..<count { out[i] = Float(load(i, as: UInt8.self)) }
    }
}

/// Converts `count` little-endian integer (or boolean) elements of `dtype` at `source` to Ints.
private func decodeIntegers(_ dtype: SafeTensorsDType, from source: UnsafeRawPointer, count: Int,
                            into out: UnsafeMutablePointer<Int>) {
    func load<T: FixedWidthInteger>(_ i: Int, as type: T.Type) -> T {
        T(littleEndian: source.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
    }
    switch dtype {
    case .I64:
        #if _endian(little)
        if MemoryLayout<Int>.size == 8 { memcpy(out, source, count * 8); return }
        #endif
        for i in 0..<count { out[i] = Int(load(i, as: Int64.self)) }
    case .I32: for i in 0..<count { out[i] = Int(load(i, as: Int32.self)) }
    case .U32: for i in 0..<count { out[i] = Int(load(i, as: UInt32.self)) }
    case .I16: for i in 0..<count { out[i] = Int(load(i, as: Int16.self)) }
    case .U16: for i in 0..<count { out[i] = Int(load(i, as: UInt16.self)) }
    case .I8: for i in 0..<count { out[i] = Int(load(i, as: Int8.self)) }
    case .U8, .BOOL: for i in 0..<count { out[i] = Int(load(i, as: UInt8.self)) }
    case .F64, .F32, .F16, .BF16: preconditionFailure("decodeIntegers: \(dtype) is not an integer dtype")
    }
}
