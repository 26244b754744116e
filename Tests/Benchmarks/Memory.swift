// Peak memory: the most resident memory the process has held, in megabytes. On Linux the
// high-water mark is reset before each benchmark (writing 5 to /proc/self/clear_refs), so
// each figure is that benchmark's own peak; elsewhere it is the peak of the whole run so far.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Forgets the peak so far, where the system allows it (Linux).
func resetPeakMemory() {
    #if os(Linux)
    if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
        handle.write(Data("5".utf8))
        try? handle.close()
    }
    #endif
}

/// The peak resident set size in MB (VmHWM on Linux, ru_maxrss elsewhere).
func peakMemoryMB() -> Double {
    #if os(Linux)
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kB = Double(line.split(separator: " ").dropFirst().first ?? "") {
        return kB / 1024
    }
    return 0
    #else
    var usage = rusage()
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1_048_576   // bytes on macOS
    #endif
}
