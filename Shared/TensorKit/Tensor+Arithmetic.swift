// Elementwise arithmetic with broadcasting, and its gradients.
// Every operator is declared for Tensor⊕Tensor, Tensor⊕Float and Float⊕Tensor,
// so `x * 2`, `2 * x` and `x * y` all read as they do in PyTorch.

import Foundation

// MARK: - Kernels

/// Applies `f` to every pair of broadcast elements of `a` and `b`.
@inline(__always)
func broadcastMap(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) -> Tensor {
    if a.shape == b.shape {
        let out = TensorStorage(uninitialized: a.count)
        withPointers(a, b, out) { x, y, o in
            for i in 0..<out.count { o[i] = f(x[i], y[i]) }
        }
        return Tensor(shape: a.shape, storage: out)
    }
    let shape = broadcastShapes(a.shape, b.shape, op: op)
    let sa = broadcastStrides(a.shape, to: shape)
    let sb = broadcastStrides(b.shape, to: shape)
    let out = TensorStorage(uninitialized: shape.product)
    withPointers(a, b, out) { x, y, o in
        forEachRow(shape, sa, sb) { oi, ai, strideA, bi, strideB, n in
            for j in 0..<n { o[oi + j] = f(x[ai + j * strideA], y[bi + j * strideB]) }
        }
    }
    return Tensor(shape: shape, storage: out)
}

/// Applies `f` to every element; large tensors are split over the cores (each element is
/// computed the same way whichever thread does it).
@inline(__always)
func unaryMap(_ a: Tensor, _ f: (Float) -> Float) -> Tensor {
    let out = TensorStorage(uninitialized: a.count)
    withPointers(a, out) { src, dst in
        let parts = splits(out.count, threshold: 1 << 16, granularity: 4096)
        parallelFor(parts.count) { part in
            for i in parts[part] { dst[i] = f(src[i]) }
        }
    }
    return Tensor(shape: a.shape, storage: out)
}

// MARK: - Binary ops

extension Tensor {
    /// Elementwise sum with broadcasting.
    public func adding(_ other: Tensor) -> Tensor {
        let (a, b) = (self, other)
        return broadcastMap(a, b, op: "add", +).record("add", [a, b]) { g in
            a.accumulateGrad(g.sum(toShape: a.shape))
            b.accumulateGrad(g.sum(toShape: b.shape))
        }
    }

    /// Elementwise difference with broadcasting.
    public func subtracting(_ other: Tensor) -> Tensor {
        let (a, b) = (self, other)
        return broadcastMap(a, b, op: "sub", -).record("sub", [a, b]) { g in
            a.accumulateGrad(g.sum(toShape: a.shape))
            if b.requiresGrad { b.accumulateGrad(unaryMap(g, -).sum(toShape: b.shape)) }
        }
    }

    /// Elementwise product with broadcasting.
    public func multiplying(_ other: Tensor) -> Tensor {
        let (a, b) = (self, other)
        return broadcastMap(a, b, op: "mul", *).record("mul", [a, b]) { g in
            if a.requiresGrad { a.accumulateGrad(broadcastMap(g, b, op: "mul", *).sum(toShape: a.shape)) }
            if b.requiresGrad { b.accumulateGrad(broadcastMap(g, a, op: "mul", *).sum(toShape: b.shape)) }
        }
    }

    /// Elementwise quotient with broadcasting.
    public func dividing(by other: Tensor) -> Tensor {
        let (a, b) = (self, other)
        return broadcastMap(a, b, op: "div", /).record("div", [a, b]) { g in
            if a.requiresGrad { a.accumulateGrad(broadcastMap(g, b, op: "div", /).sum(toShape: a.shape)) }
            if b.requiresGrad {
                // d(a/b)/db = -a / b²
                let ga = broadcastMap(g, a, op: "div", *)
                let gb = broadcastMap(ga, b, op: "div") { x, y in -x / (y * y) }
                b.accumulateGrad(gb.sum(toShape: b.shape))
            }
        }
    }

    /// Elementwise maximum with broadcasting. Where the two are equal the gradient is
    /// split evenly between them, as PyTorch does.
    public func maximum(_ other: Tensor) -> Tensor {
        let (a, b) = (self, other)
        return broadcastMap(a, b, op: "maximum") { Swift.max($0, $1) }.record("maximum", [a, b]) { g in
            let share = broadcastMap(a, b, op: "maximum") { x, y in x > y ? 1 : (x == y ? 0.5 : 0) }
            if a.requiresGrad { a.accumulateGrad(broadcastMap(g, share, op: "maximum", *).sum(toShape: a.shape)) }
            if b.requiresGrad { b.accumulateGrad(broadcastMap(g, share, op: "maximum") { $0 * (1 - $1) }.sum(toShape: b.shape)) }
        }
    }

    /// Elementwise minimum with broadcasting (ties split the gradient evenly).
    public func minimum(_ other: Tensor) -> Tensor {
        let (a, b) = (self, other)
        return broadcastMap(a, b, op: "minimum") { Swift.min($0, $1) }.record("minimum", [a, b]) { g in
            let share = broadcastMap(a, b, op: "minimum") { x, y in x < y ? 1 : (x == y ? 0.5 : 0) }
            if a.requiresGrad { a.accumulateGrad(broadcastMap(g, share, op: "minimum", *).sum(toShape: a.shape)) }
            if b.requiresGrad { b.accumulateGrad(broadcastMap(g, share, op: "minimum") { $0 * (1 - $1) }.sum(toShape: b.shape)) }
        }
    }

    /// `self` raised to the power `exponent`, elementwise.
    public func pow(_ exponent: Float) -> Tensor {
        let a = self
        return unaryMap(a) { Foundation.pow($0, exponent) }.record("pow", [a]) { g in
            // x⁰ is constant: its gradient is 0 even at x = 0, where 0 · x⁻¹ would be NaN
            a.accumulateGrad(broadcastMap(g, a, op: "pow") { gi, x in
                exponent == 0 ? 0 : gi * exponent * Foundation.pow(x, exponent - 1)
            })
        }
    }
}

// MARK: - Unary ops

extension Tensor {
    /// Applies `f` elementwise; the gradient is `g * df(x, y)` where `y = f(x)`.
    @inline(__always)
    func unary(_ op: String, _ f: (Float) -> Float, derivative: @escaping (_ x: Float, _ y: Float) -> Float) -> Tensor {
        let a = self
        let y = unaryMap(a, f)
        let result = y.storage
        return y.record(op, [a]) { g in
            let out = TensorStorage(uninitialized: a.count)
            withPointers(g, a, result, out) { gp, xp, yp, o in
                for i in 0..<out.count { o[i] = gp[i] * derivative(xp[i], yp[i]) }
            }
            a.accumulateGrad(out)
        }
    }

    public func negated() -> Tensor { unary("neg", { -$0 }, derivative: { _, _ in -1 }) }
    public func exp() -> Tensor { unary("exp", Foundation.exp, derivative: { _, y in y }) }
    public func log() -> Tensor { unary("log", Foundation.log, derivative: { x, _ in 1 / x }) }
    public func sqrt() -> Tensor { unary("sqrt", Foundation.sqrt, derivative: { _, y in 0.5 / y }) }
    /// 1 / sqrt(x).
    public func rsqrt() -> Tensor { unary("rsqrt", { 1 / Foundation.sqrt($0) }, derivative: { _, y in -0.5 * y * y * y }) }
    public func tanh() -> Tensor { unary("tanh", Foundation.tanh, derivative: { _, y in 1 - y * y }) }
    public func sin() -> Tensor { unary("sin", Foundation.sin, derivative: { x, _ in Foundation.cos(x) }) }
    public func cos() -> Tensor { unary("cos", Foundation.cos, derivative: { x, _ in -Foundation.sin(x) }) }
    /// |x|; the gradient at 0 is 0, as in PyTorch.
    public func abs() -> Tensor {
        unary("abs", Swift.abs, derivative: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) })
    }
    /// The logistic function 1 / (1 + e^-x).
    public func sigmoid() -> Tensor {
        unary("sigmoid", { 1 / (1 + Foundation.exp(-$0)) }, derivative: { _, y in y * (1 - y) })
    }
    /// x², elementwise.
    public func squared() -> Tensor { unary("square", { $0 * $0 }, derivative: { x, _ in 2 * x }) }
}

// MARK: - Comparisons, where, masked fill (no gradient through the mask)

extension Tensor {
    /// 1 where `self > other`, else 0.
    public func greater(_ other: Tensor) -> Tensor { broadcastMap(self, other, op: "gt") { $0 > $1 ? 1 : 0 } }
    /// 1 where `self < other`, else 0.
    public func less(_ other: Tensor) -> Tensor { broadcastMap(self, other, op: "lt") { $0 < $1 ? 1 : 0 } }
    /// 1 where `self >= other`, else 0.
    public func greaterEqual(_ other: Tensor) -> Tensor { broadcastMap(self, other, op: "ge") { $0 >= $1 ? 1 : 0 } }
    /// 1 where `self <= other`, else 0.
    public func lessEqual(_ other: Tensor) -> Tensor { broadcastMap(self, other, op: "le") { $0 <= $1 ? 1 : 0 } }
    /// 1 where `self == other`, else 0.
    public func equal(_ other: Tensor) -> Tensor { broadcastMap(self, other, op: "eq") { $0 == $1 ? 1 : 0 } }

    /// Picks `a` where `condition` is non-zero and `b` elsewhere (all three broadcast).
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = broadcastShapes(broadcastShapes(condition.shape, a.shape, op: "where"), b.shape, op: "where")
        let c = condition.expand(to: shape).detach()
        let pickA = broadcastMap(c, a, op: "where") { m, x in m != 0 ? x : 0 }
        let pickB = broadcastMap(c, b, op: "where") { m, y in m != 0 ? 0 : y }
        let out = broadcastMap(pickA, pickB, op: "where", +)
        return out.record("where", [a, b]) { g in
            if a.requiresGrad { a.accumulateGrad(broadcastMap(g, c, op: "where") { $1 != 0 ? $0 : 0 }.sum(toShape: a.shape)) }
            if b.requiresGrad { b.accumulateGrad(broadcastMap(g, c, op: "where") { $1 != 0 ? 0 : $0 }.sum(toShape: b.shape)) }
        }
    }

    /// Replaces elements where `mask` (broadcast to `self`) is non-zero by `value`
    /// (PyTorch's `masked_fill`). The causal mask uses it with `-Float.infinity`.
    public func maskedFill(_ mask: Tensor, _ value: Float) -> Tensor {
        let a = self
        let m = mask.expand(to: broadcastShapes(mask.shape, a.shape, op: "maskedFill"))
        precondition(m.shape == a.shape, "maskedFill: mask \(describeShape(mask.shape)) would grow tensor \(describeShape(a.shape))")
        let out = broadcastMap(a, m, op: "maskedFill") { x, k in k != 0 ? value : x }
        return out.record("maskedFill", [a]) { g in
            a.accumulateGrad(broadcastMap(g, m, op: "maskedFill") { gi, k in k != 0 ? 0 : gi })
        }
    }
}

// MARK: - Operators

public prefix func - (x: Tensor) -> Tensor { x.negated() }

public func + (a: Tensor, b: Tensor) -> Tensor { a.adding(b) }
public func - (a: Tensor, b: Tensor) -> Tensor { a.subtracting(b) }
public func * (a: Tensor, b: Tensor) -> Tensor { a.multiplying(b) }
public func / (a: Tensor, b: Tensor) -> Tensor { a.dividing(by: b) }

public func + (a: Tensor, b: Float) -> Tensor { a.adding(Tensor(scalar: b)) }
public func - (a: Tensor, b: Float) -> Tensor { a.subtracting(Tensor(scalar: b)) }
public func * (a: Tensor, b: Float) -> Tensor { a.multiplying(Tensor(scalar: b)) }
public func / (a: Tensor, b: Float) -> Tensor { a.dividing(by: Tensor(scalar: b)) }

public func + (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a).adding(b) }
public func - (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a).subtracting(b) }
public func * (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a).multiplying(b) }
public func / (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a).dividing(by: b) }
