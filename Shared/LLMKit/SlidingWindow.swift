// Training data for next-token prediction: windows of `maxLength` token ids, each with the same
// window shifted one token to the right as its target, the windows `stride` apart.

import TensorKit

/// Input/target pairs cut from a long list of token ids (the book's `GPTDatasetV1`).
///
///     let data = SlidingWindowDataset(ids: [40, 367, 2885, 1464, 1807, 3619], maxLength: 4, stride: 1)
///     data[0]   // (input: [40, 367, 2885, 1464], target: [367, 2885, 1464, 1807])
public struct SlidingWindowDataset {
    public let ids: [Int]
    public let maxLength: Int
    public let stride: Int

    public init(ids: [Int], maxLength: Int, stride: Int) {
        precondition(maxLength > 0 && stride > 0, "SlidingWindowDataset: maxLength \(maxLength) and stride \(stride) must be positive")
        self.ids = ids
        self.maxLength = maxLength
        self.stride = stride
    }

    /// The number of windows: every start i = 0, stride, 2·stride, … with i + maxLength < count.
    public var count: Int {
        ids.count > maxLength ? (ids.count - maxLength - 1) / stride + 1 : 0
    }

    public subscript(index: Int) -> (input: [Int], target: [Int]) {
        precondition(index >= 0 && index < count, "SlidingWindowDataset: window \(index) of \(count)")
        let start = index * stride
        return (Array(ids[start..<(start + maxLength)]), Array(ids[(start + 1)...(start + maxLength)]))
    }

    /// The windows at `indices` as one batch: inputs and targets flattened row-major, with
    /// shape (indices.count, maxLength).
    public func batch(_ indices: some Collection<Int>) -> (inputs: [Int], targets: [Int], shape: [Int]) {
        var inputs: [Int] = [], targets: [Int] = []
        inputs.reserveCapacity(indices.count * maxLength)
        targets.reserveCapacity(indices.count * maxLength)
        for i in indices {
            let (x, y) = self[i]
            inputs += x
            targets += y
        }
        return (inputs, targets, [indices.count, maxLength])
    }

    /// Batches of windows, each input and target flattened row-major with shape (batch, maxLength).
    /// With a generator the windows are shuffled (a Fisher–Yates permutation, the same for the
    /// same seed); `dropLast` drops a final batch smaller than `batchSize`, as the book does;
    /// `limit` stops after that many batches (without building the rest).
    public func batches(batchSize: Int, shuffle generator: TorchGenerator? = nil, dropLast: Bool = true, limit: Int? = nil)
        -> [(inputs: [Int], targets: [Int], shape: [Int])] {
        precondition(batchSize > 0, "batches: batch size must be positive")
        let order = generator.map { $0.permutation(count) } ?? Array(0..<count)
        var out: [(inputs: [Int], targets: [Int], shape: [Int])] = []
        var start = 0
        while start < order.count && out.count < (limit ?? Int.max) {
            let end = min(start + batchSize, order.count)
            if dropLast && end - start < batchSize { break }
            out.append(batch(order[start..<end]))
            start = end
        }
        return out
    }
}
