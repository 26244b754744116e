// Sizes for people to read: a checkpoint, a download, a cache.

import Foundation

/// A number of bytes in decimal units, one decimal, as the Hugging Face Hub shows file sizes.
///
///     formatByteCount(988_097_824)   // "988.1 MB"
///     formatByteCount(659)           // "659 B"
public func formatByteCount(_ bytes: Int) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000 && unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
}
