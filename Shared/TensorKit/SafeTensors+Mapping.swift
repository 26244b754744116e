// Memory-mapping a file: its bytes appear in the program's memory, and the system reads
// each page from disk (or from its cache) the first time it is touched. Opening a 500 MB
// checkpoint therefore costs nothing until a tensor is read, and only that tensor's pages
// are read then.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory, unmapped when this object goes away.
///
///     let file = try MappedFile(path: "model.safetensors")
///     let first = file.bytes[0]          // the system reads the first page now
///     file.release(0 ..< 1 << 20)        // give back the first megabyte's pages
final class MappedFile: @unchecked Sendable {   // Sendable: the bytes are never written
    /// The file's bytes (empty for an empty file).
    let bytes: UnsafeRawBufferPointer

    /// Maps the file at `path`; throws a `SafeTensorsError` of kind `.unreadable` naming it.
    init(path: String) throws {
        func fail(_ problem: String, _ hint: String) -> SafeTensorsError {
            SafeTensorsError(.unreadable, path, problem, hint: hint)
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT {
                throw fail("no such file", "check the path; a Hugging Face model directory holds model.safetensors")
            }
            throw fail("cannot be read (\(String(cString: strerror(errno))))", "check that you may read the file")
        }
        // The mapping keeps the file's contents reachable after the descriptor is closed.
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw fail("cannot be read (\(String(cString: strerror(errno))))", "check that you may read the file")
        }
        guard status.st_mode & S_IFMT != S_IFDIR else {
            throw fail("is a directory, not a safetensors file", "pass the .safetensors file inside it, e.g. \(path)/model.safetensors")
        }
        let size = Int(status.st_size)
        guard size > 0 else {   // mmap cannot map zero bytes
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {   // -1 is MAP_FAILED
            throw fail("cannot be mapped into memory (\(String(cString: strerror(errno))))", "check that it is a regular file")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let start = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: start), bytes.count) }
    }

    /// Tells the system that the whole pages inside `range` are not needed for now: they leave
    /// this process's memory, and are read from the file again if touched. Used once a tensor
    /// has been converted, so that a loaded checkpoint is not counted twice (once as its
    /// tensors, once as the file's pages).
    func release(_ range: Range<Int>) {
        guard let start = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        // Only pages wholly inside the range: the neighbours' bytes stay where they are.
        let first = (Int(bitPattern: start) + range.lowerBound + page - 1) / page * page
        let end = (Int(bitPattern: start) + range.upperBound) / page * page
        if end > first { madvise(UnsafeMutableRawPointer(bitPattern: first), end - first, MADV_DONTNEED) }
    }
}
