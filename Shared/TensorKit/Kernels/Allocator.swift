// One setting of the C library's allocator, made once when a program starts (the chapters
// make it in CourseKit's `Options`, the benchmarks first thing): keep freed memory for reuse.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Tells glibc's allocator to keep freed memory for reuse instead of returning it to the
/// system. Call it once, at the start of a program that trains or generates.
///
///     keepFreedMemory()   // first line of main.swift
///
/// Why: a training step frees and allocates the same few-megabyte buffers again and again
/// (those `BufferPool` does not keep: inference's, and every size it lets go of). By default
/// glibc serves each block above 128 KB with a fresh `mmap` and unmaps it when freed, and the
/// kernel then zeroes every page again on first touch (page faults were 10–15% of a training
/// step). With this, blocks up to 32 MB come from the heap and the heap keeps up to 1 GB of
/// free space, so they are reused as they are. Memory use stays at the peak a program
/// reaches, which is what it needs anyway.
///
/// glibc only: `mallopt` is glibc's (Linux). Elsewhere — macOS's allocator, musl — this does
/// nothing. Set `TENSORKIT_DEFAULT_MALLOC=1` to leave the allocator alone (to measure what
/// this gains).
public func keepFreedMemory() {
    _ = allocatorTuned
}

/// Done once per process, however often `keepFreedMemory()` is called.
private let allocatorTuned: Bool = {
    #if canImport(Glibc)
    if ProcessInfo.processInfo.environment["TENSORKIT_DEFAULT_MALLOC"] == "1" { return false }
    // mallopt is declared in malloc.h, which the Glibc module does not export: look it up
    // (absent from a C library that is not glibc, and then nothing happens).
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }   // RTLD_DEFAULT
    let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
    let (trimThreshold, mmapThreshold): (Int32, Int32) = (-1, -3)     // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
    _ = mallopt(mmapThreshold, 32 << 20)      // blocks up to 32 MB come from the heap, not mmap
    _ = mallopt(trimThreshold, 1 << 30)       // and the heap keeps up to 1 GB of free space
    return true
    #else
    return false
    #endif
}()
