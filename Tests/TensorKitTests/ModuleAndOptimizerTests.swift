import XCTest
@testable import TensorKit

/// Modules (names, modes, loading) and optimisers (against hand-computed updates).
final class ModuleAndOptimizerTests: XCTestCase {
    final class Block: Module {
        let attn: Linear, norm: LayerNorm
        override init() {
            attn = Linear(weight: Tensor([[1, 2], [3, 4]]), bias: Tensor([0.5, -0.5]))
            norm = LayerNorm(2)
            super.init()
            register("attn", attn)
            register("ln_1", norm)
        }
    }

    final class Model: Module {
        let embedding: Embedding, blocks: [Block], head: Linear, dropout: Dropout
        override init() {
            embedding = Embedding(weight: Tensor([[1, 0], [0, 1], [1, 1]]))
            blocks = [Block(), Block()]
            head = Linear(weight: embedding.weight, bias: nil)    // tied to the embedding
            dropout = Dropout(0.1)
            super.init()
            register("wte", embedding)
            register("h", list: blocks)
            register("lm_head", head)
            register("drop", dropout)
        }
    }

    func testHierarchicalNamesAndTiedWeights() {
        let model = Model()
        XCTAssertEqual(model.namedParameters().map(\.name), [
            "wte.weight",
            "h.0.attn.weight", "h.0.attn.bias", "h.0.ln_1.weight", "h.0.ln_1.bias",
            "h.1.attn.weight", "h.1.attn.bias", "h.1.ln_1.weight", "h.1.ln_1.bias",
        ])   // lm_head.weight is wte.weight, listed once
        XCTAssertEqual(model.parameterCount, 6 + 2 * (4 + 2 + 2 + 2))
        XCTAssertTrue(model.parameter(named: "h.1.attn.bias") === model.blocks[1].attn.bias)
        XCTAssertTrue(model.parameters.allSatisfy(\.requiresGrad))
        XCTAssertEqual(model.namedModules().map(\.name), ["", "wte", "h", "h.0", "h.0.attn", "h.0.ln_1", "h.1", "h.1.attn", "h.1.ln_1", "lm_head", "drop"])
    }

    func testTrainAndEvalReachEveryChild() {
        let model = Model()
        XCTAssertTrue(model.dropout.isTraining)
        model.eval()
        XCTAssertFalse(model.dropout.isTraining)
        XCTAssertFalse(model.blocks[1].norm.isTraining)
        let x = Tensor.ones([3, 2])
        XCTAssertTrue(model.dropout(x) === x)
        model.train()
        XCTAssertTrue(model.blocks[0].attn.isTraining)
    }

    func testLoadAndStateDict() throws {
        let source = Model(), target = Model()
        source.blocks[1].attn.bias!.data = [9, 8]
        try target.load(source.stateDict())
        XCTAssertEqual(target.blocks[1].attn.bias!.data, [9, 8])

        var missing = source.stateDict()
        missing["h.0.ln_1.bias"] = nil
        XCTAssertThrowsError(try target.load(missing)) { XCTAssertEqual($0 as? ModuleLoadError, .missing(["h.0.ln_1.bias"])) }
        var extra = source.stateDict()
        extra["h.2.attn.weight"] = Tensor([1])
        XCTAssertThrowsError(try target.load(extra)) { XCTAssertEqual($0 as? ModuleLoadError, .unexpected(["h.2.attn.weight"])) }
        var wrong = source.stateDict()
        wrong["wte.weight"] = Tensor.zeros([2, 2])
        XCTAssertThrowsError(try target.load(wrong)) {
            XCTAssertEqual("\($0)", "parameter wte.weight: expected shape [3, 2], got [2, 2]")
        }
        XCTAssertNoThrow(try target.load(["wte.weight": Tensor.zeros([3, 2])], strict: false))
    }

    /// SGD with momentum 0.9 and weight decay 0.1 on f(w) = Σ w², by hand:
    /// g = 2w + 0.1w; b₁ = g₁; w₁ = w₀ − lr·b₁; b₂ = 0.9·b₁ + g₂; w₂ = w₁ − lr·b₂.
    func testSGDWithMomentum() {
        let w = Tensor([1, -2]).requiringGrad()
        let sgd = SGD([w], learningRate: 0.1, momentum: 0.9, weightDecay: 0.1)
        var expected: [Double] = [1, -2]
        var buffer: [Double] = [0, 0]
        for step in 0..<2 {
            sgd.zeroGrad()
            (w * w).sum().backward()
            sgd.step()
            for i in 0..<2 {
                let g = 2 * expected[i] + 0.1 * expected[i]
                buffer[i] = step == 0 ? g : 0.9 * buffer[i] + g
                expected[i] -= 0.1 * buffer[i]
            }
            for i in 0..<2 { XCTAssertEqual(Double(w.data[i]), expected[i], accuracy: 1e-6) }
        }
        XCTAssertEqual(w.data[0], 0.4351, accuracy: 1e-4)   // 0.79 − 0.1·(0.9·2.1 + 2.1·0.79)
    }

    /// Two AdamW steps computed in double precision from the formulas of torch.optim.AdamW.
    func testAdamWByHand() {
        let w = Tensor([0.5, -1.5]).requiringGrad()
        let (lr, b1, b2, eps, wd) = (1e-3, 0.9, 0.95, 1e-8, 0.1)
        let adam = AdamW(groups: [ParameterGroup([("w", w)], weightDecay: Float(wd))], learningRate: Float(lr),
                         beta1: Float(b1), beta2: Float(b2), eps: Float(eps))
        var p: [Double] = [0.5, -1.5], m: [Double] = [0, 0], v: [Double] = [0, 0]
        for t in 1...2 {
            adam.zeroGrad()
            (w * w * w).sum().backward()          // g = 3w²
            adam.step()
            for i in 0..<2 {
                let g = 3 * p[i] * p[i]
                p[i] *= 1 - lr * wd
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                let mHat = m[i] / (1 - pow(b1, Double(t))), vHat = v[i] / (1 - pow(b2, Double(t)))
                p[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
        }
        for i in 0..<2 { XCTAssertEqual(Double(w.data[i]), p[i], accuracy: 1e-6 * max(1, abs(p[i]))) }
        XCTAssertEqual(adam.stepCount, 2)
    }

    func testAdamWStateRoundTrip() throws {
        let a = Tensor([1, 2]).requiringGrad(), b = Tensor([1, 2]).requiringGrad()
        let first = AdamW(groups: [ParameterGroup([("a", a)], weightDecay: 0)])
        let second = AdamW(groups: [ParameterGroup([("a", b)], weightDecay: 0)])
        for x in [a, b] { (x * x).sum().backward() }
        first.step()
        let saved = first.state()
        try second.restore(step: saved.step, tensors: saved.tensors)
        b.data = a.data
        for (x, opt) in [(a, first), (b, second)] { opt.zeroGrad(); (x * x).sum().backward(); opt.step() }
        XCTAssertEqual(a.data, b.data)
        XCTAssertThrowsError(try second.restore(step: 1, tensors: [:])) { XCTAssertEqual($0 as? ModuleLoadError, .missing(["exp_avg.a"])) }
    }

    func testClipGradNorm() {
        let a = Tensor([0, 0]).requiringGrad(), b = Tensor([0]).requiringGrad()
        a.grad = Tensor([3, 0]); b.grad = Tensor([4])
        XCTAssertEqual(clipGradNorm([a, b], maxNorm: 1), 5, accuracy: 1e-6)
        XCTAssertEqual(a.grad!.data[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(b.grad!.data[0], 0.8, accuracy: 1e-6)
        XCTAssertEqual(clipGradNorm([a, b], maxNorm: 10), 1, accuracy: 1e-5)   // below the limit: unchanged
        XCTAssertEqual(b.grad!.data[0], 0.8, accuracy: 1e-6)
    }
}
