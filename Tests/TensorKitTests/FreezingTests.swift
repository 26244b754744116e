import XCTest
@testable import TensorKit

/// Freezing parameters (PyTorch's requires_grad = False), and adapters on a Linear layer.
final class FreezingTests: XCTestCase {
    final class TwoLayers: Module {
        let first = Linear(3, 4, generator: TorchGenerator(seed: 1))
        let second = Linear(4, 2, generator: TorchGenerator(seed: 2))
        override init() {
            super.init()
            register("first", first)
            register("second", second)
        }
        func callAsFunction(_ x: Tensor) -> Tensor { second(first(x).relu()) }
    }

    /// A frozen layer gets no gradient; the layer after it still does; AdamW built from the
    /// module holds state for the trainable parameters only and refuses a frozen one.
    func testFrozenParametersGetNoGradientAndNoOptimizerState() {
        let model = TwoLayers()
        XCTAssertEqual(model.trainableParameterCount, 3 * 4 + 4 + 4 * 2 + 2)
        model.first.freeze()
        XCTAssertEqual(model.namedTrainableParameters().map(\.name), ["second.weight", "second.bias"])
        XCTAssertEqual(model.trainableParameterCount, 4 * 2 + 2)
        XCTAssertEqual(model.parameterCount, 3 * 4 + 4 + 4 * 2 + 2, "frozen parameters still count as parameters")
        model(TorchGenerator(seed: 3).randn([5, 3])).sum().backward()
        XCTAssertNil(model.first.weight.grad)
        XCTAssertNil(model.first.bias!.grad)
        XCTAssertNotNil(model.second.weight.grad)
        let adam = AdamW(model, learningRate: 0.1)
        XCTAssertEqual(Set(adam.state().tensors.keys), ["exp_avg.second.weight", "exp_avg_sq.second.weight",
                                                         "exp_avg.second.bias", "exp_avg_sq.second.bias"])
        let before = model.first.weight.data
        adam.step()
        XCTAssertEqual(model.first.weight.data, before)
        model.unfreeze()
        XCTAssertEqual(model.trainableParameterCount, model.parameterCount)
    }

    final class Doubling: Module, LinearAdapter {
        func update(_ x: Tensor) -> Tensor { Tensor.linear(x, weight: Tensor.ones([2, 4])) }
    }

    /// An attached adapter adds its update to the layer's output and is listed under "lora";
    /// detaching it restores the plain layer.
    func testLinearAdapterAddsItsUpdate() {
        let layer = Linear(4, 2, generator: TorchGenerator(seed: 5))
        let x = TorchGenerator(seed: 6).randn([3, 4])
        let plain = layer(x)
        let adapter = Doubling()
        adapter.register(parameter: "A", Tensor.zeros([1]))
        layer.attach(adapter)
        XCTAssertEqual(layer.namedParameters().map(\.name), ["weight", "bias", "lora.A"])
        let adapted = layer(x)
        for r in 0..<3 {
            let rowSum = (0..<4).reduce(Float(0)) { $0 + x.data[r * 4 + $1] }
            for c in 0..<2 { XCTAssertEqual(adapted.data[r * 2 + c], plain.data[r * 2 + c] + rowSum, accuracy: 1e-5) }
        }
        layer.detachAdapter()
        XCTAssertNil(layer.adapter)
        XCTAssertEqual(layer.namedParameters().map(\.name), ["weight", "bias"])
        XCTAssertEqual(layer(x).data, plain.data)
    }
}
