// One way for a kernel to reach the elements of several tensors at once, instead of a
// pyramid of nested `withUnsafe…` closures (one level per operand):
//
//     let out = TensorStorage(uninitialized: a.count)
//     withPointers(a, b, out) { x, y, o in
//         for i in 0..<a.count { o[i] = x[i] + y[i] }
//     }
//
// A tensor gives a read pointer, a storage (one the kernel has just made) a write pointer;
// all of them stay alive until `body` returns.

/// Something whose elements a kernel can point at: a tensor (read) or a storage (write).
protocol ElementPointer {
    associatedtype Pointer
    /// Valid while `self` is alive.
    var elementPointer: Pointer { get }
}

extension Tensor: ElementPointer {
    var elementPointer: UnsafePointer<Float> { pointer }
}

extension TensorStorage: ElementPointer {
    var elementPointer: UnsafeMutablePointer<Float> { floats }
}

/// Runs `body` with a pointer to the elements of each of `items` — `UnsafePointer<Float>` for a
/// `Tensor`, `UnsafeMutablePointer<Float>` for a `TensorStorage` — keeping them alive meanwhile.
@inline(__always)
func withPointers<each Item: ElementPointer, Result>(
    _ items: repeat each Item, body: (repeat (each Item).Pointer) throws -> Result
) rethrows -> Result {
    try withExtendedLifetime((repeat each items)) { try body(repeat (each items).elementPointer) }
}
