// Looking inside a trained embedding table: which tokens ended up close together (cosine
// similarity), and a 2-D picture of the table (principal component analysis).

import Foundation
import TensorKit

/// The `k` rows of `table` (N, d) most similar to row `row` by cosine similarity, best first,
/// among `candidates` (all rows when nil); ties go to the lower row index.
///
///     nearestNeighbours(of: 3, in: embeddings, k: 2)   // [(row: 7, similarity: 0.91), (row: 1, similarity: 0.85)]
public func nearestNeighbours(of row: Int, in table: Tensor, k: Int, candidates: [Int]? = nil) -> [(row: Int, similarity: Float)] {
    precondition(table.rank == 2, "nearestNeighbours: the table must be (rows, dim), got \(describeShape(table.shape))")
    let (n, d) = (table.shape[0], table.shape[1])
    precondition(row >= 0 && row < n, "nearestNeighbours: row \(row) of \(n)")
    let x = table.data
    func norm(_ r: Int) -> Double {
        var s = 0.0
        for j in 0..<d { s += Double(x[r * d + j]) * Double(x[r * d + j]) }
        return s.squareRoot()
    }
    let target = norm(row)
    var scored: [(row: Int, similarity: Float)] = []
    for r in candidates ?? Array(0..<n) where r != row {
        var dot = 0.0
        for j in 0..<d { dot += Double(x[row * d + j]) * Double(x[r * d + j]) }
        scored.append((r, Float(dot / max(target * norm(r), 1e-12))))
    }
    scored.sort { $0.similarity != $1.similarity ? $0.similarity > $1.similarity : $0.row < $1.row }
    return Array(scored.prefix(k))
}

/// Projects the rows of `table` (N, d) onto its first `count` principal components: the
/// directions along which the rows vary most. Returns (N, count) coordinates.
///
/// The rows are centred, the covariance matrix (d, d) formed in double precision, and its
/// leading eigenvectors found by power iteration with deflation — a fixed number of steps from
/// a fixed start, so the picture is the same on every run. Each component's sign is chosen so
/// that its largest entry is positive (PCA leaves the sign free).
public func principalComponents(_ table: Tensor, count: Int = 2) -> Tensor {
    precondition(table.rank == 2, "principalComponents: the table must be (rows, dim), got \(describeShape(table.shape))")
    let (n, d) = (table.shape[0], table.shape[1])
    precondition(count >= 1 && count <= d, "principalComponents: \(count) components of \(d) dimensions")
    let x = table.data
    var mean = [Double](repeating: 0, count: d)
    for r in 0..<n { for j in 0..<d { mean[j] += Double(x[r * d + j]) } }
    for j in 0..<d { mean[j] /= Double(max(n, 1)) }
    var covariance = [Double](repeating: 0, count: d * d)
    var centred = [Double](repeating: 0, count: d)
    for r in 0..<n {
        for j in 0..<d { centred[j] = Double(x[r * d + j]) - mean[j] }
        for i in 0..<d where centred[i] != 0 {
            let ci = centred[i]
            for j in 0..<d { covariance[i * d + j] += ci * centred[j] }
        }
    }
    var components: [[Double]] = []
    let trace = (0..<d).reduce(0.0) { $0 + covariance[$1 * d + $1] }
    for _ in 0..<count {
        /// `w` made orthogonal to the components found so far.
        func deflated(_ w: [Double]) -> [Double] {
            var w = w
            for c in components {
                let dot = zip(w, c).reduce(0) { $0 + $1.0 * $1.1 }
                for i in 0..<d { w[i] -= dot * c[i] }
            }
            return w
        }
        func normalised(_ w: [Double], floor: Double = 1e-150) -> [Double]? {
            let length = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return length > floor ? w.map { $0 / length } : nil
        }
        // A fixed, generic start; if nothing is left to explain, the start itself (made
        // orthogonal) is as good a direction as any.
        var v = normalised(deflated((0..<d).map { 1.0 + Double($0 % 7) / 10 + Double($0) / Double(d) }))
            ?? normalised(deflated((0..<d).map { Double(($0 * 7919) % 13) - 6 }))!
        for _ in 0..<300 {
            var w = [Double](repeating: 0, count: d)
            for i in 0..<d { for j in 0..<d { w[i] += covariance[i * d + j] * v[j] } }
            // below this the remaining variance is rounding noise
            guard let next = normalised(deflated(w), floor: 1e-12 * trace) else { break }
            v = next
        }
        if let big = v.indices.max(by: { abs(v[$0]) < abs(v[$1]) }), v[big] < 0 { v = v.map { -$0 } }
        components.append(v)
    }
    var out = [Float](repeating: 0, count: n * count)
    for r in 0..<n {
        for (k, c) in components.enumerated() {
            var s = 0.0
            for j in 0..<d { s += (Double(x[r * d + j]) - mean[j]) * c[j] }
            out[r * count + k] = Float(s)
        }
    }
    return Tensor(shape: [n, count], data: out)
}
