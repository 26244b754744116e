// A stable merge sort whose comparison may throw: Python's `sorted` fails on the first pair it
// cannot compare ('<' between str and int), and keeps equal elements in their order.

enum JinjaSorting {
    /// `items` sorted by `less`, equal elements in their original order.
    static func stableSorted<T>(_ items: [T], by less: (T, T) throws -> Bool) throws -> [T] {
        guard items.count > 1 else { return items }
        let middle = items.count / 2
        let left = try stableSorted(Array(items[..<middle]), by: less)
        let right = try stableSorted(Array(items[middle...]), by: less)
        var out: [T] = []
        out.reserveCapacity(items.count)
        var i = 0, j = 0
        while i < left.count && j < right.count {
            if try less(right[j], left[i]) { out.append(right[j]); j += 1 } else { out.append(left[i]); i += 1 }
        }
        out += left[i...]
        out += right[j...]
        return out
    }
}
