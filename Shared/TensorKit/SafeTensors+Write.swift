// Writing safetensors files as the reference library does, and writing any file atomically.
//
// For the same tensors the bytes are those of Python's `safetensors.numpy.save_file`: the
// header lists "__metadata__" first, then the tensors with the larger dtype first (int64
// before float32, which keeps each tensor's data aligned to its element size) and by name
// within a dtype, as compact JSON padded with spaces to a multiple of 8 bytes.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Writing tensors

/// Writes safetensors files.
public enum SafeTensors {
    /// Writes float tensors (as F32) and integer tensors (as I64, e.g. `input_ids`) with
    /// optional metadata to `url`, atomically: into a temporary file in the same directory,
    /// renamed over `url` only once complete, so a failed or interrupted save never leaves a
    /// half-written file (and a reader of the old file keeps its data).
    ///
    ///     try SafeTensors.write(["logits": logits], integers: ["input_ids": (shape: [1, 4], values: [464, 3290, 318, 257])],
    ///                           metadata: ["format": "pt"], to: URL(fileURLWithPath: "out.safetensors"))
    ///
    /// A name may not be both a float and an integer tensor, nor be `__metadata__`.
    /// Throws an `InputError` naming the file if it cannot be written.
    public static func write(_ tensors: [String: Tensor], integers: [String: (shape: [Int], values: [Int])] = [:],
                             metadata: [String: String] = [:], to url: URL) throws {
        let floatNames = tensors.keys.sorted(by: utf8Order), integerNames = integers.keys.sorted(by: utf8Order)
        for name in integerNames {
            let (shape, values) = integers[name]!
            precondition(tensors[name] == nil, "SafeTensors.write: \(name) is both a float tensor and an integer tensor")
            precondition(shape.allSatisfy { $0 >= 0 } && shape.product == values.count,
                         "SafeTensors.write: integer tensor \(name) has \(values.count) values for shape \(describeShape(shape))")
        }
        precondition(tensors["__metadata__"] == nil && integers["__metadata__"] == nil,
                     "SafeTensors.write: __metadata__ is reserved for the metadata and cannot name a tensor")

        // The header, in the reference library's order: I64 tensors, then F32 ones.
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted(by: utf8Order).map { jsonString($0) + ":" + jsonString(metadata[$0]!) }
            entries.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        func describe(_ name: String, _ dtype: SafeTensorsDType, _ shape: [Int]) {
            let end = offset + shape.product * dtype.size
            entries.append(jsonString(name) + ":{\"dtype\":\"\(dtype)\",\"shape\":[" + shape.map(String.init).joined(separator: ",")
                           + "],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        for name in integerNames { describe(name, .I64, integers[name]!.shape) }
        for name in floatNames { describe(name, .F32, tensors[name]!.shape) }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        // Spaces up to a multiple of 8 bytes, so that the data starts 8-byte aligned.
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        // The file: length, header, then each tensor's bytes in header order, streamed from the
        // tensors' own storage (no copy of the whole file is made in memory).
        let file = try AtomicFile(url)
        do {
            try file.write(littleEndian: 1) { _ in UInt64(header.count) }
            try header.withUnsafeBytes { try file.write($0) }
            for name in integerNames {
                let values = integers[name]!.values
                try values.withUnsafeBufferPointer { v in try file.write(littleEndian: v.count) { Int64(v[$0]) } }
            }
            for name in floatNames {
                let tensor = tensors[name]!.widened()
                #if _endian(little)
                try tensor.withUnsafeBufferPointer { try file.write(UnsafeRawBufferPointer($0)) }
                #else
                try tensor.withUnsafeBufferPointer { v in try file.write(littleEndian: v.count) { v[$0].bitPattern } }
                #endif
            }
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
    }

    /// `s` as a JSON string, escaped as the reference library (serde_json) escapes it: `"`,
    /// `\` and control characters only; everything else, `/` and non-ASCII letters included,
    /// as is.
    ///
    ///     jsonString("a \"b\"\n")   // "\"a \\\"b\\\"\\n\""
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Orders strings by their UTF-8 bytes, as the reference library (Rust) sorts names.
func utf8Order(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

// MARK: - Atomic files

/// Writes `data` to `url` through a temporary file in the same directory and a rename, so
/// readers never see a half-written file. Throws an `InputError` naming the file.
public func writeFileAtomically(_ data: Data, to url: URL) throws {
    let file = try AtomicFile(url)
    do {
        try data.withUnsafeBytes { try file.write($0) }
        try file.commit()
    } catch {
        file.discard()
        throw error
    }
}

/// A file being written under a temporary name (`.name.UUID.tmp` beside its destination),
/// which `commit()` flushes to disk and renames to the destination in one step, and
/// `discard()` deletes.
final class AtomicFile {
    let destination: URL
    let temporary: URL
    /// The open temporary file, or -1 once closed.
    private var descriptor: Int32 = -1
    /// Whether the temporary file exists and is ours to delete (not yet renamed or deleted).
    private var pending = false

    /// Creates the temporary file.
    init(_ destination: URL) throws {
        self.destination = destination
        temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
        descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw failure() }
        pending = true
    }

    deinit { discard() }

    /// Appends `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            // At most 1 GB per call: some systems refuse larger writes.
            let written = systemWrite(descriptor, bytes.baseAddress! + done, min(bytes.count - done, 1 << 30))
            if written < 0 {
                if errno == EINTR { continue }
                throw failure()
            }
            done += written
        }
    }

    /// Appends `count` integers, `element(0)`, `element(1)`, …, as little-endian bytes,
    /// converting a chunk at a time.
    func write<T: FixedWidthInteger>(littleEndian count: Int, _ element: (Int) -> T) throws {
        let chunk = 1 << 16
        var buffer = [T](repeating: 0, count: min(count, chunk))
        for start in stride(from: 0, to: count, by: chunk) {
            let n = min(chunk, count - start)
            for i in 0..<n { buffer[i] = element(start + i).littleEndian }
            try buffer.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0.prefix(n * MemoryLayout<T>.size))) }
        }
    }

    /// Flushes the file to disk, closes it and renames it to the destination (replacing any
    /// file there at once: readers see the old file or the new one, never a mix).
    func commit() throws {
        guard fsync(descriptor) == 0 else { throw failure() }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else { throw failure() }
        guard rename(temporary.path, destination.path) == 0 else { throw failure() }
        pending = false
    }

    /// Closes and deletes the temporary file, unless `commit()` has renamed it.
    func discard() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        if pending {
            unlink(temporary.path)
            pending = false
        }
    }

    /// The error for the last system call's failure, naming the destination.
    private func failure() -> InputError {
        let reason = String(cString: strerror(errno))
        return InputError(path: destination.path, problem: "cannot be written (\(reason))",
                          hint: "check that the directory \(destination.deletingLastPathComponent().path) exists and is writable, and that the disk is not full")
    }
}

/// The system's `write(2)`, under a name that does not clash with `AtomicFile.write`.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
