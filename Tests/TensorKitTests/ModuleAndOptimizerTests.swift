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
        source.blocks[1].attn.bias!.copy(from: [9, 8])
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
        XCTAssertEqual(target.head.weight.data, [0, 0, 0, 0, 0, 0])   // tied: loading one name loads both
        XCTAssertThrowsError(try target.load(["wte.weight": Tensor.zeros([2, 3])], strict: false))
        XCTAssertNoThrow(try target.load(["not.a.parameter": Tensor.zeros([1])], strict: false))
    }

    func testStateDictHoldsCopies() {
        let model = Model()
        let state = model.stateDict()
        XCTAssertEqual(state.keys.sorted(), model.namedParameters().map(\.name).sorted())
        state["h.0.attn.weight"]!.withUnsafeMutableBufferPointer { $0[0] = 100 }
        XCTAssertEqual(model.blocks[0].attn.weight.data[0], 1)
        XCTAssertFalse(state["wte.weight"]!.requiresGrad)
    }

    func testLoadErrorsNameWhatIsWrong() {
        XCTAssertEqual(ModuleLoadError.missing(["a.weight", "b.bias"]).description, "missing parameters: a.weight, b.bias")
        let many = (0..<10).map { "h.\($0).weight" }
        XCTAssertEqual(ModuleLoadError.unexpected(many).description,
                       "unexpected parameters: " + many.prefix(8).joined(separator: ", ") + ", … (10 in all)")
    }

    func testModuleZeroGradAndRegistration() {
        let model = Model()
        let loss = Tensor.linear(Tensor.ones([1, 2]), weight: model.blocks[0].attn.weight).sum()
        loss.backward()
        XCTAssertNotNil(model.blocks[0].attn.weight.grad)
        model.zeroGrad()
        XCTAssertTrue(model.parameters.allSatisfy { $0.grad == nil })
        let bare = Linear(weight: Tensor([[1, 2]]), bias: nil)
        XCTAssertEqual(bare.namedParameters().map(\.name), ["weight"])
        XCTAssertTrue(bare.weight.requiresGrad)   // registering makes a tensor trainable
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
        // the moments themselves (exp_avg, exp_avg_sq), to a relative 1e-6
        let state = adam.state().tensors
        for i in 0..<2 {
            XCTAssertEqual(Double(state["exp_avg.w"]!.data[i]), m[i], accuracy: 1e-6 * abs(m[i]))
            XCTAssertEqual(Double(state["exp_avg_sq.w"]!.data[i]), v[i], accuracy: 1e-6 * abs(v[i]))
        }
    }

    /// The first AdamW step moves every weight by almost exactly lr against its gradient's sign
    /// (m̂ / √v̂ = g / |g|), minus the decoupled decay lr·wd·p — a check that needs no formula.
    func testAdamWFirstStepIsTheLearningRate() {
        let w = Tensor([0.5, -1.5, 2]).requiringGrad()
        let adam = AdamW(groups: [ParameterGroup([("w", w)], weightDecay: 0.1)], learningRate: 1e-2, beta1: 0.9, beta2: 0.95)
        w.grad = Tensor([3, -0.001, 40])
        adam.step()
        let expected: [Double] = [0.5 * (1 - 1e-3) - 1e-2, -1.5 * (1 - 1e-3) + 1e-2, 2 * (1 - 1e-3) - 1e-2]
        for (x, e) in zip(w.data, expected) { XCTAssertEqual(Double(x), e, accuracy: 1e-5) }
    }

    /// Two groups (with and without weight decay), and a parameter that has no gradient this
    /// step: it is left alone, and the others still use their own moments.
    func testAdamWGroupsAndMissingGradients() {
        let decayed = Tensor([1, 2]).requiringGrad(), idle = Tensor([5]).requiringGrad(), plain = Tensor([1, 2]).requiringGrad()
        let adam = AdamW(groups: [ParameterGroup([("decayed", decayed), ("idle", idle)], weightDecay: 0.5),
                                  ParameterGroup([("plain", plain)], weightDecay: 0)],
                         learningRate: 0.1, beta1: 0.9, beta2: 0.999)
        decayed.grad = Tensor([1, 1]); plain.grad = Tensor([1, 1])
        adam.step()
        XCTAssertEqual(idle.data, [5])
        // plain: p − lr · g/|g| (to within eps);  decayed: p · (1 − lr·wd) − lr · g/|g|
        XCTAssertEqual(plain.data[0], 1 - 0.1, accuracy: 1e-6)
        XCTAssertEqual(plain.data[1], 2 - 0.1, accuracy: 1e-6)
        XCTAssertEqual(decayed.data[0], 1 * 0.95 - 0.1, accuracy: 1e-6)
        XCTAssertEqual(decayed.data[1], 2 * 0.95 - 0.1, accuracy: 1e-6)
        let state = adam.state().tensors
        XCTAssertEqual(state["exp_avg.idle"]!.data, [0])
        XCTAssertEqual(state["exp_avg.plain"]!.data[0], 0.1, accuracy: 1e-7)
        XCTAssertEqual(state["exp_avg_sq.decayed"]!.data[0], 0.001, accuracy: 1e-7)
    }

    /// AdamW built from a module covers each parameter once, tied weights included.
    func testAdamWFromAModule() {
        let model = Model()
        let adam = AdamW(model, learningRate: 1e-3, weightDecay: 0.1)
        XCTAssertEqual(adam.groups.count, 1)
        XCTAssertEqual(adam.groups[0].parameters.map(\.name), model.namedParameters().map(\.name))
        XCTAssertEqual(adam.groups[0].weightDecay, 0.1)
    }

    func testAdamWStateRoundTrip() throws {
        let a = Tensor([1, 2]).requiringGrad(), b = Tensor([1, 2]).requiringGrad()
        let first = AdamW(groups: [ParameterGroup([("a", a)], weightDecay: 0)])
        let second = AdamW(groups: [ParameterGroup([("a", b)], weightDecay: 0)])
        for x in [a, b] { (x * x).sum().backward() }
        first.step()
        let saved = first.state()
        try second.restore(step: saved.step, tensors: saved.tensors)
        b.copy(from: a)
        for (x, opt) in [(a, first), (b, second)] { opt.zeroGrad(); (x * x).sum().backward(); opt.step() }
        XCTAssertEqual(a.data, b.data)
        XCTAssertThrowsError(try second.restore(step: 1, tensors: [:])) { XCTAssertEqual($0 as? ModuleLoadError, .missing(["exp_avg.a"])) }
    }

    /// Plain SGD: p ← p − lr·g; a parameter without a gradient is skipped.
    func testSGDWithoutMomentum() {
        let w = Tensor([1, -2]).requiringGrad(), untouched = Tensor([7]).requiringGrad()
        let sgd = SGD([w, untouched], learningRate: 0.5)
        (w * w).sum().backward()            // g = 2w = [2, −4]
        sgd.step()
        XCTAssertEqual(w.data, [0, 0])
        XCTAssertEqual(untouched.data, [7])
        sgd.zeroGrad()
        XCTAssertNil(w.grad)
    }

    /// End to end: a linear layer fitted by SGD to y = 2x + 1 finds w = 2, b = 1.
    func testSGDFitsALine() {
        let layer = Linear(weight: Tensor([[0]]), bias: Tensor([0]))
        let xs = Tensor(shape: [5, 1], data: [-1, -0.5, 0, 0.5, 1])
        let ys = xs * 2 + 1
        let sgd = SGD(layer.parameters, learningRate: 0.2, momentum: 0.5)
        var losses: [Float] = []
        for _ in 0..<100 {
            sgd.zeroGrad()
            let loss = (layer(xs) - ys).squared().mean()
            losses.append(loss.item)
            loss.backward()
            sgd.step()
        }
        XCTAssertEqual(layer.weight.item, 2, accuracy: 1e-4)
        XCTAssertEqual(layer.bias!.item, 1, accuracy: 1e-4)
        XCTAssertLessThan(losses.last!, 1e-8)
        XCTAssertEqual(losses[0], 3, accuracy: 1e-6)       // the mean of (2x + 1)² = 1, 0, 1, 4, 9
    }

    func testClipGradNormOfOneTensor() {
        let p = Tensor([0, 0]).requiringGrad(), noGrad = Tensor([1]).requiringGrad()
        p.grad = Tensor([3, 4])
        XCTAssertEqual(clipGradNorm([p, noGrad], maxNorm: 1), 5, accuracy: 1e-6)
        XCTAssertEqual(p.grad!.data[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(p.grad!.data[1], 0.8, accuracy: 1e-6)
        XCTAssertNil(noGrad.grad)
        p.grad = Tensor([3, 4])
        XCTAssertEqual(clipGradNorm([p], maxNorm: 5.5), 5, accuracy: 1e-6)
        XCTAssertEqual(p.grad!.data, [3, 4])        // under the limit: untouched
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
