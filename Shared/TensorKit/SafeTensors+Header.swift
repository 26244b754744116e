// Reading and checking a safetensors header, and the error that says what is wrong with one.
//
// The rules are those of the reference library (huggingface/safetensors): the header is at
// most 100 MB of UTF-8 JSON, an object whose keys are tensor names (plus an optional
// "__metadata__" of strings); each tensor has a dtype, a shape of sizes and data_offsets
// [begin, end] whose span is exactly elements × bytes per element; and the tensors, sorted
// by offset, tile the data buffer from its first byte to its last: no overlap, no hole.

import Foundation

// MARK: - Errors

/// Why a safetensors file cannot be read: names the file, says what is wrong and how to fix
/// it.
///
///     model.safetensors: tensor wte.weight of shape [1000, 32] and dtype F32 needs 128000
///     bytes, but its data_offsets [0, 64000] span 64000
///     hint: the header does not describe the data; save the file again
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    /// What kind of problem it is, one case per check.
    public enum Kind: Equatable, Sendable {
        /// The file is missing, a directory, or cannot be read.
        case unreadable
        /// The file ends before its header, or before the data its header describes.
        case truncated
        /// The first 8 bytes claim a header over 100 MB: not a safetensors file.
        case badHeaderLength
        /// The header is not UTF-8 JSON text, or not a JSON object.
        case badHeaderJSON
        /// `__metadata__` is not an object of strings.
        case badMetadata
        /// A tensor's entry lacks dtype, shape or data_offsets, or has them of the wrong type.
        case badEntry
        /// A tensor's dtype is not one the course reads.
        case unknownDType
        /// A tensor's data_offsets are negative or end before they begin.
        case offsetsOutOfRange
        /// Two tensors share bytes, or some bytes of the data belong to no tensor.
        case offsetsOverlapOrHoles
        /// A tensor's byte count is not its element count times its dtype's size.
        case shapeMismatch
        /// No tensor has the name asked for.
        case missingTensor
        /// Integers were asked of a floating-point tensor.
        case wrongKind
    }

    public let kind: Kind
    /// The file at fault.
    public let path: String
    /// What is wrong, as a phrase that follows the path.
    public let problem: String
    /// What to do about it.
    public let hint: String

    init(_ kind: Kind, _ path: String, _ problem: String, hint: String = "") {
        self.kind = kind
        self.path = path
        self.problem = problem
        self.hint = hint
    }

    public var description: String { "\(path): \(problem)" + (hint.isEmpty ? "" : "\nhint: \(hint)") }
}

// MARK: - The header

/// The checked header of a safetensors file.
struct SafeTensorsHeader {
    /// The largest header the reference library accepts.
    static let maximumLength = 100_000_000

    /// The header's length in bytes.
    let length: Int
    /// Each tensor's dtype, shape and byte range in the data buffer.
    let entries: [String: SafeTensorsFile.Entry]
    /// The `__metadata__` strings.
    let metadata: [String: String]

    /// Reads the header at the start of `bytes` (a whole file) and checks it against the rules
    /// of the format and the length of the file. `path` is for the error messages.
    init(parsing bytes: UnsafeRawBufferPointer, path: String) throws {
        func fail(_ kind: SafeTensorsError.Kind, _ problem: String, _ hint: String) -> SafeTensorsError {
            SafeTensorsError(kind, path, problem, hint: hint)
        }
        let notSafetensors = "is it a safetensors file? One starts with its header length as 8 little-endian bytes"

        // The 8-byte length, then the header it announces.
        guard bytes.count >= 8 else {
            throw fail(.truncated, "is \(bytes.count) bytes long, too short to hold the 8-byte header length",
                       "the file is truncated or empty; download or save it again")
        }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(Self.maximumLength) else {
            throw fail(.badHeaderLength, "its first 8 bytes announce a header of \(declared) bytes, larger than 100 MB",
                       notSafetensors)
        }
        length = Int(declared)
        guard length <= bytes.count - 8 else {
            throw fail(.truncated, "its first 8 bytes announce a header of \(length) bytes, but only \(bytes.count - 8) follow",
                       "the file is truncated (an interrupted download or save?), or it is not a safetensors file")
        }

        // The JSON object.
        let text = Data(bytes[8 ..< 8 + length])
        guard String(data: text, encoding: .utf8) != nil else {
            throw fail(.badHeaderJSON, "its \(length)-byte header is not UTF-8 text", notSafetensors)
        }
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: text)
        } catch {
            throw fail(.badHeaderJSON, "its \(length)-byte header is not valid JSON", "the file is corrupt; \(notSafetensors)")
        }
        guard case .object(let fields) = root else {
            throw fail(.badHeaderJSON, "its header is a JSON \(root.kindName), not an object of tensors",
                       "a safetensors header looks like {\"name\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}")
        }

        // The metadata: strings only.
        var metadata: [String: String] = [:]
        if let value = fields["__metadata__"] {
            guard case .object(let pairs) = value else {
                throw fail(.badMetadata, "its __metadata__ is a JSON \(value.kindName), not an object of strings",
                           "the reference library writes __metadata__ as {\"format\": \"pt\"}")
            }
            for key in pairs.keys.sorted() {
                guard case .string(let string) = pairs[key]! else {
                    throw fail(.badMetadata, "its __metadata__ entry \(key) is a JSON \(pairs[key]!.kindName), not a string",
                               "every __metadata__ value must be a string, e.g. \"1\" rather than 1")
                }
                metadata[key] = string
            }
        }
        self.metadata = metadata

        // Each tensor on its own (in name order, so that the first error is always the same one).
        let bufferLength = bytes.count - 8 - length
        var entries: [String: SafeTensorsFile.Entry] = [:]
        for name in fields.keys.sorted() where name != "__metadata__" {
            entries[name] = try Self.entry(name, fields[name]!, fail: fail)
        }
        self.entries = entries

        // Together: sorted by offset, they must tile the buffer exactly.
        var position = 0, previous: String?
        let byOffset = entries.sorted {
            ($0.value.byteRange.lowerBound, $0.value.byteRange.upperBound) < ($1.value.byteRange.lowerBound, $1.value.byteRange.upperBound)
                || ($0.value.byteRange == $1.value.byteRange && $0.key < $1.key)
        }
        for (name, entry) in byOffset {
            let range = entry.byteRange
            if range.lowerBound < position {
                throw fail(.offsetsOverlapOrHoles,
                           "tensor \(name) (data bytes \(range.lowerBound)..<\(range.upperBound)) overlaps tensor \(previous!), which ends at byte \(position)",
                           "two tensors may not share bytes; the header is corrupt, save the file again")
            }
            if range.lowerBound > position {
                throw fail(.offsetsOverlapOrHoles,
                           "data bytes \(position)..<\(range.lowerBound), before tensor \(name), belong to no tensor",
                           "the tensors must follow each other without gaps; the header is corrupt, save the file again")
            }
            position = range.upperBound
            previous = name
        }
        if position > bufferLength {
            throw fail(.truncated,
                       "its tensors need \(position) bytes of data (tensor \(previous!) ends at byte \(position)), but only \(bufferLength) follow the header",
                       "the file is truncated (an interrupted download or save?); download or save it again")
        }
        if position < bufferLength {
            throw fail(.offsetsOverlapOrHoles,
                       "the last \(bufferLength - position) bytes of its data (from byte \(position)) belong to no tensor",
                       "the tensors must cover the data to its end; the header is corrupt, or the file has bytes appended")
        }
    }

    /// Checks one tensor's entry on its own: fields, dtype, offsets, and the byte count its
    /// shape and dtype imply.
    private static func entry(_ name: String, _ value: JSONValue,
                              fail: (SafeTensorsError.Kind, String, String) -> SafeTensorsError) throws -> SafeTensorsFile.Entry {
        let example = "an entry looks like {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 24]}"
        guard case .object(let fields) = value else {
            throw fail(.badEntry, "the entry of tensor \(name) is a JSON \(value.kindName), not an object", example)
        }
        guard case .string(let dtypeName)? = fields["dtype"] else {
            throw fail(.badEntry, "tensor \(name) has \(fields["dtype"] == nil ? "no" : "a non-string") dtype", example)
        }
        guard let shape = fields["shape"]?.integers, shape.allSatisfy({ $0 >= 0 }) else {
            throw fail(.badEntry, "tensor \(name) has \(fields["shape"] == nil ? "no shape" : "a shape that is not a list of sizes ≥ 0")", example)
        }
        guard let offsets = fields["data_offsets"]?.integers, offsets.count == 2 else {
            throw fail(.badEntry, "tensor \(name) has \(fields["data_offsets"] == nil ? "no data_offsets" : "data_offsets that are not two integers [begin, end]")", example)
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw fail(.unknownDType, "tensor \(name) has dtype \(dtypeName), which the course cannot read",
                       "the course reads \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")); convert the checkpoint, e.g. with torch's .float()")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin >= 0, end >= begin else {
            throw fail(.offsetsOutOfRange, "tensor \(name) has data_offsets [\(begin), \(end)]: they must satisfy 0 ≤ begin ≤ end",
                       "the header is corrupt; save the file again")
        }
        // elements × bytes per element, refusing sizes too large to count.
        var byteCount = dtype.size, overflow = false
        for size in shape where !overflow { (byteCount, overflow) = byteCount.multipliedReportingOverflow(by: size) }
        guard !overflow, byteCount == end - begin else {
            throw fail(.shapeMismatch,
                       "tensor \(name) of shape \(describeShape(shape)) and dtype \(dtype) needs "
                           + (overflow ? "more bytes than can be counted" : "\(byteCount) bytes (\(shape.product) × \(dtype.size))")
                           + ", but its data_offsets [\(begin), \(end)] span \(end - begin)",
                       "the header does not describe the data; save the file again")
        }
        return SafeTensorsFile.Entry(dtype: dtype, shape: shape, byteRange: begin ..< end)
    }
}

// MARK: - JSON values

/// Any JSON value, decoded strictly: numbers with a fraction or an exponent too large for an
/// `Int` stay `number`, and `true` is never `1`.
enum JSONValue: Decodable {
    case object([String: JSONValue]), array([JSONValue]), string(String), integer(Int), number(Double), bool(Bool), null

    init(from decoder: Decoder) throws {
        let value = try decoder.singleValueContainer()
        if value.decodeNil() {
            self = .null
        } else if let bool = try? value.decode(Bool.self) {
            self = .bool(bool)
        } else if let integer = try? value.decode(Int.self) {
            self = .integer(integer)
        } else if let number = try? value.decode(Double.self) {
            self = .number(number)
        } else if let string = try? value.decode(String.self) {
            self = .string(string)
        } else if let array = try? value.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try value.decode([String: JSONValue].self))
        }
    }

    /// The elements of an array of integers; nil for anything else.
    var integers: [Int]? {
        guard case .array(let elements) = self else { return nil }
        var result: [Int] = []
        for element in elements {
            guard case .integer(let n) = element else { return nil }
            result.append(n)
        }
        return result
    }

    /// What kind of value this is, for error messages ("a JSON array").
    var kindName: String {
        switch self {
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .integer, .number: return "number"
        case .bool: return "boolean"
        case .null: return "null"
        }
    }
}
