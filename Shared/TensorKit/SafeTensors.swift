// Reading and writing safetensors, the checkpoint format of Hugging Face: an 8-byte
// little-endian header length N, N bytes of JSON describing each tensor
// (`{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, "__metadata__": {…}}`),
// then the raw little-endian numbers, offsets counted from the end of the header.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number types a safetensors file can hold that the course reads.
public enum SafeTensorsDType: String, CaseIterable {
    case F32, F16, BF16, F64, I64, I32, U8, BOOL

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .F64, .I64: return 8
        case .F32, .I32: return 4
        case .F16, .BF16: return 2
        case .U8, .BOOL: return 1
        }
    }

    var isFloat: Bool { self == .F32 || self == .F16 || self == .BF16 || self == .F64 }
}

/// Why a safetensors file could not be read or written: names the file, says what is wrong,
/// and how to fix it.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Equatable {
        case unreadable, truncated, badHeaderLength, badHeaderJSON, badEntry, unknownDType
        case offsetsOutOfRange, offsetsOverlapOrHoles, shapeMismatch, missingTensor, wrongKind
    }
    public let kind: Kind
    public let path: String
    public let problem: String
    public let hint: String

    public var description: String {
        "\(path): \(problem)" + (hint.isEmpty ? "" : "\nhint: \(hint)")
    }
}

/// A safetensors file, memory-mapped: the numbers are read (and converted to Float) only when
/// a tensor is asked for, straight from the mapped bytes, so a 500 MB checkpoint is never held
/// twice in memory.
///
///     let file = try SafeTensorsFile(contentsOf: url)
///     print(file.names)                       // ["h.0.attn.c_attn.bias", …]
///     let wte = try file.tensor("wte.weight")  // (50257, 768)
public final class SafeTensorsFile {
    public struct Entry: Equatable {
        public let dtype: SafeTensorsDType
        public let shape: [Int]
        let begin: Int, end: Int
    }

    public let url: URL
    /// Tensor names, sorted.
    public let names: [String]
    /// The free-form `__metadata__` strings.
    public let metadata: [String: String]
    private let entries: [String: Entry]
    private let bytes: Data
    private let dataStart: Int

    public init(contentsOf url: URL) throws {
        self.url = url
        let path = url.path
        func fail(_ kind: SafeTensorsError.Kind, _ problem: String, _ hint: String = "") -> SafeTensorsError {
            SafeTensorsError(kind: kind, path: path, problem: problem, hint: hint)
        }
        do {
            bytes = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw fail(.unreadable, "cannot be read (\(FileManager.default.fileExists(atPath: path) ? "permission or I/O error" : "no such file"))",
                       "check the path; a model directory needs model.safetensors")
        }
        guard bytes.count >= 8 else {
            throw fail(.truncated, "is \(bytes.count) bytes long, too short for the 8-byte header length", "the file is truncated; download or save it again")
        }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= 100_000_000 else {
            throw fail(.badHeaderLength, "header length \(headerLength) is larger than 100 MB", "this is not a safetensors file")
        }
        guard 8 + Int(headerLength) <= bytes.count else {
            throw fail(.truncated, "header length \(headerLength) runs past the end of the file (\(bytes.count) bytes)", "the file is truncated or not a safetensors file")
        }
        dataStart = 8 + Int(headerLength)
        let headerData = bytes.subdata(in: 8..<dataStart)
        guard let object = try? JSONSerialization.jsonObject(with: headerData), let header = object as? [String: Any] else {
            throw fail(.badHeaderJSON, "the header is not a JSON object", "the file is corrupt or not a safetensors file")
        }
        var metadata: [String: String] = [:]
        if let m = header["__metadata__"] {
            guard let strings = m as? [String: String] else {
                throw fail(.badHeaderJSON, "__metadata__ must map strings to strings")
            }
            metadata = strings
        }
        let bufferLength = bytes.count - dataStart
        var entries: [String: Entry] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let fields = value as? [String: Any], let dtypeName = fields["dtype"] as? String,
                  let shapeValues = fields["shape"] as? [NSNumber], let offsets = fields["data_offsets"] as? [NSNumber],
                  offsets.count == 2 else {
                throw fail(.badEntry, "tensor \(name) lacks dtype, shape or data_offsets [begin, end]")
            }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw fail(.unknownDType, "tensor \(name) has dtype \(dtypeName), which the course cannot read",
                           "supported: \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let shape = shapeValues.map(\.intValue)
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail(.badEntry, "tensor \(name) has a negative size in shape \(shape)") }
            let (begin, end) = (offsets[0].intValue, offsets[1].intValue)
            guard begin >= 0, begin <= end, end <= bufferLength else {
                throw fail(.offsetsOutOfRange, "tensor \(name) has data_offsets [\(begin), \(end)] outside the \(bufferLength)-byte data buffer",
                           "the file is truncated or its header is corrupt")
            }
            guard end - begin == shape.product * dtype.size else {
                throw fail(.shapeMismatch, "tensor \(name) of shape \(describeShape(shape)) and dtype \(dtype) needs \(shape.product * dtype.size) bytes but data_offsets give \(end - begin)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: begin, end: end)
        }
        // The tensors must tile the buffer exactly: no overlaps, no holes.
        var position = 0
        for (name, e) in entries.sorted(by: { ($0.value.begin, $0.value.end, $0.key) < ($1.value.begin, $1.value.end, $1.key) }) {
            guard e.begin == position else {
                throw fail(.offsetsOverlapOrHoles, e.begin < position
                           ? "tensor \(name) at bytes \(e.begin)..<\(e.end) overlaps the tensor before it"
                           : "bytes \(position)..<\(e.begin) before tensor \(name) belong to no tensor", "the header is corrupt")
            }
            position = e.end
        }
        guard position == bufferLength else {
            throw fail(.offsetsOverlapOrHoles, "the last \(bufferLength - position) bytes of the data buffer belong to no tensor", "the header is corrupt")
        }
        self.entries = entries
        self.metadata = metadata
        names = entries.keys.sorted()
    }

    /// The dtype and shape of a tensor, or nil if there is none of that name.
    public func info(_ name: String) -> Entry? { entries[name] }

    private func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else {
            let close = names.filter { $0.hasSuffix(name) || name.hasSuffix($0) }.prefix(5)
            throw SafeTensorsError(kind: .missingTensor, path: url.path, problem: "has no tensor named \(name)",
                                   hint: close.isEmpty ? "it has \(names.count) tensors, e.g. \(names.prefix(5).joined(separator: ", "))"
                                                       : "similar names: \(close.joined(separator: ", "))")
        }
        return e
    }

    /// The tensor called `name`, converted to float32 (integers too, exactly up to 2²⁴).
    public func tensor(_ name: String) throws -> Tensor {
        let e = try entry(name)
        let n = e.shape.product
        var out = [Float](repeating: 0, count: n)
        bytes.withUnsafeBytes { raw in
            let src = raw.baseAddress! + dataStart + e.begin
            out.withUnsafeMutableBufferPointer { dst in
                switch e.dtype {
                case .F32:
                    memcpy(dst.baseAddress!, src, n * 4)
                    #if _endian(big)
                    for i in 0..<n { dst[i] = Float(bitPattern: UInt32(littleEndian: dst[i].bitPattern)) }
                    #endif
                case .F16:
                    for i in 0..<n { dst[i] = float16ToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
                case .BF16:
                    for i in 0..<n { dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
                case .F64:
                    for i in 0..<n { dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
                case .I64:
                    for i in 0..<n { dst[i] = Float(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
                case .I32:
                    for i in 0..<n { dst[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
                case .U8, .BOOL:
                    for i in 0..<n { dst[i] = Float(src.load(fromByteOffset: i, as: UInt8.self)) }
                }
            }
        }
        return Tensor(shape: e.shape, data: out)
    }

    /// An integer tensor (I64, I32, U8, BOOL), such as `input_ids`, as Ints.
    public func integers(_ name: String) throws -> (shape: [Int], values: [Int]) {
        let e = try entry(name)
        guard !e.dtype.isFloat else {
            throw SafeTensorsError(kind: .wrongKind, path: url.path, problem: "tensor \(name) holds \(e.dtype) numbers, not integers",
                                   hint: "read it with tensor(_:)")
        }
        let n = e.shape.product
        let values: [Int] = bytes.withUnsafeBytes { raw in
            let src = raw.baseAddress! + dataStart + e.begin
            return (0..<n).map { i in
                switch e.dtype {
                case .I64: return Int(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                case .I32: return Int(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                default: return Int(src.load(fromByteOffset: i, as: UInt8.self))
                }
            }
        }
        return (e.shape, values)
    }
}

/// IEEE half precision to float, exactly (subnormals, infinities and NaN included).
public func float16ToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    switch exponent {
    case 0:
        // zero or subnormal: mantissa · 2⁻²⁴
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    case 31:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}

// MARK: - Writing

public enum SafeTensors {
    /// Writes float tensors (as F32) and integer tensors (as I64) with optional metadata to
    /// `url`, atomically: a temporary file in the same directory, then a rename, so an
    /// interrupted save never leaves a broken file.
    public static func write(_ tensors: [String: Tensor], integers: [String: (shape: [Int], values: [Int])] = [:],
                             metadata: [String: String] = [:], to url: URL) throws {
        var header: [String] = []
        if !metadata.isEmpty {
            header.append("\"__metadata__\":{" + metadata.sorted { $0.key < $1.key }
                .map { "\(jsonString($0.key)):\(jsonString($0.value))" }.joined(separator: ",") + "}")
        }
        var pieces: [(name: String, dtype: String, shape: [Int], bytes: Int)] = []
        for name in Set(tensors.keys).union(integers.keys).sorted() {
            if let t = tensors[name] {
                pieces.append((name, "F32", t.shape, t.count * 4))
            } else if let i = integers[name] {
                precondition(i.shape.product == i.values.count, "SafeTensors.write: \(name) has \(i.values.count) values for shape \(i.shape)")
                pieces.append((name, "I64", i.shape, i.values.count * 8))
            }
        }
        var offset = 0
        for p in pieces {
            header.append("\(jsonString(p.name)):{\"dtype\":\"\(p.dtype)\",\"shape\":[\(p.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + p.bytes)]}")
            offset += p.bytes
        }
        var headerText = "{" + header.joined(separator: ",") + "}"
        while (8 + headerText.utf8.count) % 8 != 0 { headerText += " " }   // align the data to 8 bytes
        var out = Data(capacity: 8 + headerText.utf8.count + offset)
        withUnsafeBytes(of: UInt64(headerText.utf8.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: Array(headerText.utf8))
        for p in pieces {
            if let t = tensors[p.name] {
                t.data.withUnsafeBytes { out.append(contentsOf: $0) }
            } else if let i = integers[p.name] {
                for v in i.values { withUnsafeBytes(of: Int64(v).littleEndian) { out.append(contentsOf: $0) } }
            }
        }
        try writeFileAtomically(out, to: url)
    }

    static func jsonString(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        let text = String(decoding: data, as: UTF8.self)
        return String(text.dropFirst().dropLast())
    }
}

/// Writes `data` to `url` through a temporary file in the same directory and a rename, so
/// readers never see a half-written file. Throws an `InputError` naming the file.
public func writeFileAtomically(_ data: Data, to url: URL) throws {
    let directory = url.deletingLastPathComponent()
    let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
    do {
        try data.write(to: temporary)
        // rename(2) replaces the destination in one step: readers see the old file or the new one.
        guard rename(temporary.path, url.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw InputError(path: url.path, problem: "cannot be written (\(error.localizedDescription))",
                         hint: "check that the directory \(directory.path) exists and is writable")
    }
}
