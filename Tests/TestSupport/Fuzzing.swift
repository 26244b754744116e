// The fuzz loop the parser tests share: seeded mutations of a real file (Mutations.swift), each
// written to disk and handed to the parser, which must end with a typed error naming the file
// or a valid parse. A crash ends the test process (and fails the run); a slow case or memory
// growing far beyond the file's size fails the test.

import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh, empty directory for the files of a fuzz run: in memory (/dev/shm) where there is
/// one, because rewriting a file thousands of times on a disk mounted with `discard` costs
/// milliseconds each; else in the temporary directory. The caller removes it.
public func fuzzScratchDirectory(_ name: String) throws -> URL {
    let shm = URL(fileURLWithPath: "/dev/shm")
    let base = FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
    let url = base.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// What a fuzz run saw.
public struct FuzzOutcome {
    /// Mutated files the parser accepted (a flipped bit in the numbers is still a valid file).
    public var parsed = 0
    /// Mutated files the parser refused with the expected kind of error.
    public var refused = 0
}

/// The peak resident memory of this process so far, in bytes.
public func peakResidentBytes() -> Int {
    var usage = rusage()
    #if os(macOS)
    getrusage(RUSAGE_SELF, &usage)
    return Int(usage.ru_maxrss)             // bytes on macOS
    #else
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024      // kilobytes on Linux
    #endif
}

/// Feeds `cases` seeded mutations of `original` to `parse`, each written to `url` first.
/// `parse` either returns (a valid parse) or throws; a thrown error must satisfy `isExpected`
/// (its type, and that its message names the file). Fails on an unexpected error, on a case
/// that takes over a second, and on a peak memory that grows by more than `memoryLimit`.
///
///     fuzz("encoder.json", original: bytes, at: url, cases: 2000, seed: 1, tokens: Mutator.jsonTokens,
///          parse: { _ = try GPT2Tokenizer(vocabulary: $0, merges: merges) },
///          isExpected: { ($0 as? TokenizerError)?.source == url.path })
@discardableResult
public func fuzz(_ name: String, original: [UInt8], at url: URL, cases: Int, seed: UInt64, tokens: [String] = [],
                 hotOffsets: [Int] = [], memoryLimit: Int = 256 << 20,
                 parse: (URL) throws -> Void, isExpected: (Error) -> Bool,
                 file: StaticString = #filePath, line: UInt = #line) -> FuzzOutcome {
    var mutator = Mutator(seed: seed, tokens: tokens, hotOffsets: hotOffsets)
    var outcome = FuzzOutcome()
    let peakBefore = peakResidentBytes()
    let start = Date()
    for k in 0..<cases {
        let (bytes, how) = mutator.mutate(original)
        do {
            try Data(bytes).write(to: url)
        } catch {
            XCTFail("\(name): cannot write the case: \(error)", file: file, line: line)
            return outcome
        }
        let caseStart = Date()
        do {
            try parse(url)
            outcome.parsed += 1
        } catch {
            guard isExpected(error) else {
                XCTFail("\(name) case \(k) of seed \(seed) (\(how)): unexpected error \(type(of: error)): \(error)", file: file, line: line)
                return outcome
            }
            outcome.refused += 1
        }
        let seconds = Date().timeIntervalSince(caseStart)
        if seconds > 1 {
            XCTFail("\(name) case \(k) of seed \(seed) (\(how)) took \(seconds) s", file: file, line: line)
        }
    }
    let growth = peakResidentBytes() - peakBefore
    XCTAssertLessThanOrEqual(growth, memoryLimit, "\(name): peak memory grew by \(growth >> 20) MB", file: file, line: line)
    print("\(name): \(cases) mutations of \(original.count) bytes in \(String(format: "%.1f", Date().timeIntervalSince(start))) s: "
          + "\(outcome.parsed) parsed, \(outcome.refused) refused with a clear error")
    return outcome
}
