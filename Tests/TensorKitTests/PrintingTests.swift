import Foundation
import TestSupport
import XCTest
@testable import TensorKit

/// Printing against PyTorch itself (torch 2.13.0+cpu, default print options). Every expected
/// string below was printed by PyTorch, never by our code:
///   - the inline cases: `print(repr(t))` for the Python expression in the comment above each;
///   - Tests/Fixtures/pytorch-printing.json: more cases, with their values
///     (made by Tests/Fixtures/make_pytorch_printing.py);
///   - the grad_fn names: `type(y.grad_fn).__name__` for the PyTorch op named in each row.
final class PrintingTests: XCTestCase {
    override func tearDown() {
        PrintOptions.current = .default
        super.tearDown()
    }

    // MARK: - The everyday cases, inline

    /// The tensors of each inline case, built as the Python expression in its comment.
    func inlineTensors() -> [String: Tensor] {
        let book = Tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64],
                           [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]])
        return [
            "book": book,
            "negatives": Tensor([[-0.5, 1.25], [3.0, -12.125]]),
            "integers": Tensor([1, 2, 3]),
            "sciSmall": Tensor([1e-5, 1.0]),
            "sciLarge": Tensor([1e9]),
            "infNan": Tensor([1.5, .infinity, -.infinity, .nan]),
            "scalar": Tensor(scalar: 3.5),
            "threeD": Tensor.arange(12).reshape([2, 2, 3]) / 4,
            "wrapping": Tensor.arange(20) / 8,
            "summarizedVector": Tensor.arange(2000) / 4,
            "summarizedMatrix": Tensor.arange(1600).reshape([40, 40]),
            "empty": Tensor([Float]()),
            "empty0x3": Tensor.zeros([0, 3]),
            "requiresGrad": Tensor([0.43, 0.15]).requiringGrad(),
        ]
    }

    /// PyTorch's `repr` of each inline case.
    let inlineExpected: [String: String] = [
        // torch.tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64], [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]])
        "book": """
            tensor([[0.4300, 0.1500, 0.8900],
                    [0.5500, 0.8700, 0.6600],
                    [0.5700, 0.8500, 0.6400],
                    [0.2200, 0.5800, 0.3300],
                    [0.7700, 0.2500, 0.1000],
                    [0.0500, 0.8000, 0.5500]])
            """,
        // torch.tensor([[-0.5, 1.25], [3.0, -12.125]])
        "negatives": """
            tensor([[ -0.5000,   1.2500],
                    [  3.0000, -12.1250]])
            """,
        // torch.tensor([1., 2., 3.])
        "integers": """
            tensor([1., 2., 3.])
            """,
        // torch.tensor([1e-5, 1.0])
        "sciSmall": """
            tensor([1.0000e-05, 1.0000e+00])
            """,
        // torch.tensor([1e9])
        "sciLarge": """
            tensor([1.0000e+09])
            """,
        // torch.tensor([1.5, float('inf'), float('-inf'), float('nan')])
        "infNan": """
            tensor([1.5000,    inf,   -inf,    nan])
            """,
        // torch.tensor(3.5)
        "scalar": """
            tensor(3.5000)
            """,
        // torch.arange(12.).reshape(2, 2, 3) / 4
        "threeD": """
            tensor([[[0.0000, 0.2500, 0.5000],
                     [0.7500, 1.0000, 1.2500]],

                    [[1.5000, 1.7500, 2.0000],
                     [2.2500, 2.5000, 2.7500]]])
            """,
        // torch.arange(20.) / 8
        "wrapping": """
            tensor([0.0000, 0.1250, 0.2500, 0.3750, 0.5000, 0.6250, 0.7500, 0.8750, 1.0000,
                    1.1250, 1.2500, 1.3750, 1.5000, 1.6250, 1.7500, 1.8750, 2.0000, 2.1250,
                    2.2500, 2.3750])
            """,
        // torch.arange(2000.) / 4
        "summarizedVector": """
            tensor([0.0000e+00, 2.5000e-01, 5.0000e-01,  ..., 4.9925e+02, 4.9950e+02,
                    4.9975e+02])
            """,
        // torch.arange(1600.).reshape(40, 40)
        "summarizedMatrix": """
            tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 3.7000e+01, 3.8000e+01,
                     3.9000e+01],
                    [4.0000e+01, 4.1000e+01, 4.2000e+01,  ..., 7.7000e+01, 7.8000e+01,
                     7.9000e+01],
                    [8.0000e+01, 8.1000e+01, 8.2000e+01,  ..., 1.1700e+02, 1.1800e+02,
                     1.1900e+02],
                    ...,
                    [1.4800e+03, 1.4810e+03, 1.4820e+03,  ..., 1.5170e+03, 1.5180e+03,
                     1.5190e+03],
                    [1.5200e+03, 1.5210e+03, 1.5220e+03,  ..., 1.5570e+03, 1.5580e+03,
                     1.5590e+03],
                    [1.5600e+03, 1.5610e+03, 1.5620e+03,  ..., 1.5970e+03, 1.5980e+03,
                     1.5990e+03]])
            """,
        // torch.tensor([])
        "empty": """
            tensor([])
            """,
        // torch.zeros(0, 3)
        "empty0x3": """
            tensor([], size=(0, 3))
            """,
        // torch.tensor([0.43, 0.15], requires_grad=True)
        "requiresGrad": """
            tensor([0.4300, 0.1500], requires_grad=True)
            """,
    ]

    func testEverydayCasesAsPyTorchPrintsThem() {
        let tensors = inlineTensors()
        XCTAssertEqual(Set(tensors.keys), Set(inlineExpected.keys))
        for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(tensor.description, inlineExpected[name], "case \(name)")
            XCTAssertEqual("\(tensor)", inlineExpected[name], "print(x) uses the same text: case \(name)")
        }
    }

    // MARK: - The fixture's cases

    func loadFixtureCases() throws -> [String: (shape: [Int], values: [Float], repr: String)] {
        var json = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: fixtureURL("pytorch-printing.json"))) as? [String: Any])
        XCTAssertEqual((json.removeValue(forKey: "_made_by") as? String)?.hasPrefix("torch 2."), true)
        return json.mapValues { value in
            let entry = value as! [Any]
            let values = (entry[1] as! [Any]).map { v -> Float in
                switch v as? String {
                case "inf": return .infinity
                case "-inf": return -.infinity
                case "nan": return .nan
                default: return Float((v as! NSNumber).doubleValue)   // float32 values, exact in a double
                }
            }
            return (entry[0] as! [Int], values, entry[2] as! String)
        }
    }

    func testEveryFixtureCaseAsPyTorchPrintsIt() throws {
        let cases = try loadFixtureCases()
        XCTAssertGreaterThanOrEqual(cases.count, 25)
        for (name, c) in cases.sorted(by: { $0.key < $1.key }) {
            var tensor = Tensor(shape: c.shape, data: c.values)
            switch name {
            case "requires_grad", "grad_fn_long":
                // grad_fn_long is a leaf in PyTorch (`.requires_grad_()` on a result made without grad)
                tensor.requiresGrad = true
            case "grad_fn_softmax":
                let leaf = Tensor([[0.3161, 0.4568, 0.5118], [-0.1683, -0.3379, -0.0918]]).requiringGrad()
                tensor = leaf.softmax(axis: -1)
            default:
                break
            }
            XCTAssertEqual(tensor.description, c.repr, "case \(name)")
        }
    }

    // MARK: - Print options

    func testPrintOptionsAsTorchSetPrintoptions() {
        // torch.set_printoptions(precision=2); repr(torch.tensor([1, 2.5]))
        XCTAssertEqual(Tensor([1, 2.5]).formatted(precision: 2), "tensor([1.00, 2.50])")
        PrintOptions.current.precision = 2
        XCTAssertEqual(Tensor([1, 2.5]).description, "tensor([1.00, 2.50])")
        // ... then torch.set_printoptions(linewidth=40); repr(torch.arange(12.) / 4)
        PrintOptions.current.lineWidth = 40
        XCTAssertEqual((Tensor.arange(12) / 4).description, """
            tensor([0.00, 0.25, 0.50, 0.75, 1.00,
                    1.25, 1.50, 1.75, 2.00, 2.25,
                    2.50, 2.75])
            """)
        // formatted(precision:) changes only the precision of the current options
        XCTAssertEqual(Tensor([1, 2.5]).formatted(precision: 4), "tensor([1.0000, 2.5000])")
        PrintOptions.current = .default

        // torch.set_printoptions(profile="short"); repr(torch.arange(2000.) / 8)
        XCTAssertEqual((Tensor.arange(2000) / 8).formatted(.short),
                       "tensor([0.00e+00, 1.25e-01,  ..., 2.50e+02, 2.50e+02])")
        // torch.set_printoptions(profile="full"): 1,001 elements, no "..." and 100 line breaks
        let full = Tensor.arange(1001).formatted(.full)
        XCTAssertTrue(full.hasPrefix("tensor([   0.,    1.,    2.,    3.,    4.,    5.,    6.,"))
        XCTAssertFalse(full.contains("..."))
        XCTAssertEqual(full.filter { $0 == "\n" }.count, 100)
        XCTAssertEqual(full.count, 7815)
        // torch.set_printoptions(sci_mode=True) / (sci_mode=False)
        XCTAssertEqual(Tensor([0.43, 2]).formatted(PrintOptions(sciMode: true)), "tensor([4.3000e-01, 2.0000e+00])")
        XCTAssertEqual(Tensor([1e-5, 1e9]).formatted(PrintOptions(sciMode: false)),
                       "tensor([         0.0000, 1000000000.0000])")
        // torch.set_printoptions(edgeitems=1, threshold=5); repr(torch.arange(24.).reshape(2, 3, 4))
        XCTAssertEqual(Tensor.arange(24).reshape([2, 3, 4]).formatted(PrintOptions(threshold: 5, edgeItems: 1)), """
            tensor([[[ 0.,  ...,  3.],
                     ...,
                     [ 8.,  ..., 11.]],

                    [[12.,  ..., 15.],
                     ...,
                     [20.,  ..., 23.]]])
            """)
    }

    func testShapeDescription() {
        // repr(torch.zeros(2, 6, 3).shape)
        XCTAssertEqual(Tensor.zeros([2, 6, 3]).shapeDescription, "torch.Size([2, 6, 3])")
        XCTAssertEqual(Tensor(scalar: 1).shapeDescription, "torch.Size([])")
        XCTAssertEqual(describeShape([2, 6, 3]), "[2, 6, 3]")
    }

    // MARK: - Suffixes

    func testLeavesAndResultsWithoutGradHaveNoGradFn() {
        let a = Tensor([[1, 2], [3, 4]])
        XCTAssertEqual((a + a).description, "tensor([[2., 4.],\n        [6., 8.]])")
        // (torch.ones(2) * 2).requires_grad_() is a leaf: it prints requires_grad=True
        XCTAssertEqual((Tensor.ones([2]) * 2).requiringGrad().description, "tensor([2., 2.], requires_grad=True)")
        // with torch.no_grad(): w + w  -- no suffix at all
        let w = Tensor([0.5]).requiringGrad()
        XCTAssertEqual(withNoGrad { w + w }.description, "tensor([1.])")
        XCTAssertEqual((w + w).description, "tensor([1.], grad_fn=<AddBackward0>)")
        XCTAssertNil(w.gradFnName)
    }

    /// Our op → PyTorch's `type(y.grad_fn).__name__` for the equivalent PyTorch call
    /// (torch 2.13.0+cpu; the PyTorch call is in each row's comment).
    func testGradFnNamesFollowPyTorch() {
        func leaf(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, data: (0..<shape.product).map { Float($0 % 7) / 7 + 0.1 }).requiringGrad()
        }
        let x = leaf([2, 3])
        let cases: [(Tensor, String, UInt)] = [
            (x + x, "AddBackward0", #line),                                   // x + x
            (x - 1, "SubBackward0", #line),                                   // x - 1
            (x * 2, "MulBackward0", #line),                                   // x * 2
            (x / 2, "DivBackward0", #line),                                   // x / 2
            (x.negated(), "NegBackward0", #line),                             // -x
            (x.squared(), "PowBackward0", #line),                             // x.square()
            (x.pow(3), "PowBackward0", #line),                                // x ** 3
            (x.sqrt(), "SqrtBackward0", #line),                               // x.sqrt()
            (x.exp(), "ExpBackward0", #line),                                 // x.exp()
            (x.tanh(), "TanhBackward0", #line),                               // x.tanh()
            (x.relu(), "ReluBackward0", #line),                               // x.relu()
            (x.gelu(), "GeluBackward0", #line),                               // F.gelu(x)
            (x.gelu(approximate: true), "GeluBackward0", #line),              // F.gelu(x, approximate="tanh")
            (x.silu(), "SiluBackward0", #line),                               // F.silu(x)
            (x.maximum(x * 2), "MaximumBackward0", #line),                    // torch.maximum(x, x * 2)
            (x.sum(), "SumBackward0", #line),                                 // x.sum()
            (x.sum(axis: 1), "SumBackward1", #line),                          // x.sum(1)
            (x.sum(axis: 1, keepDim: true), "SumBackward1", #line),           // x.sum(1, keepdim=True)
            (x.mean(), "MeanBackward0", #line),                               // x.mean()
            (x.mean(axis: 1), "MeanBackward1", #line),                        // x.mean(1)
            (x.max(), "MaxBackward1", #line),                                 // x.max()
            (x.max(axis: 1), "MaxBackward0", #line),                          // x.max(1).values
            (x.variance(axis: 1), "VarBackward0", #line),                     // x.var(1)
            (x.logsumexp(axis: 1), "LogsumexpBackward0", #line),              // x.logsumexp(1)
            (x.softmax(axis: -1), "SoftmaxBackward0", #line),                 // x.softmax(-1)
            (x.logSoftmax(axis: -1), "LogSoftmaxBackward0", #line),           // x.log_softmax(-1)
            (x.crossEntropy(targets: [0, 1]), "NllLossBackward0", #line),     // F.cross_entropy(x, torch.tensor([0, 1]))
            (x.layerNorm(weight: leaf([3]), bias: leaf([3])), "NativeLayerNormBackward0", #line),  // F.layer_norm
            (x.rmsNorm(weight: leaf([3])), "MulBackward0", #line),            // F.rms_norm(x, (3,), w)
            (Tensor.embedding(leaf([3, 4]), ids: [0, 2], shape: [2]), "EmbeddingBackward0", #line),  // F.embedding
            (x.maskedFill(Tensor([[0, 1, 1], [0, 0, 1]]), -.infinity), "MaskedFillBackward0", #line),  // x.masked_fill
            (x.tril(), "TrilBackward0", #line),                               // x.tril()
            (leaf([1, 3]).expand(to: [2, 3]), "ExpandBackward0", #line),      // y.expand(2, 3)
            (x.reshape([3, 2]), "ViewBackward0", #line),                      // x.reshape(3, 2)
            (x.T, "PermuteBackward0", #line),                                 // x.T
            (x.permute([1, 0]), "PermuteBackward0", #line),                   // x.permute(1, 0)
            (x.indexSelect(0, [1, 0]), "IndexSelectBackward0", #line),        // x.index_select(0, ...)
            (x.slice(1, 1), "SliceBackward0", #line),                         // x[:, 1:]
            (x.select(0, 0), "SelectBackward0", #line),                       // x[0]
            (Tensor.cat([x, x]), "CatBackward0", #line),                      // torch.cat([x, x])
            (Tensor.stack([x, x]), "StackBackward0", #line),                  // torch.stack([x, x])
            // torch.matmul: the function depends on the operands' ranks
            (leaf([3]).matmul(leaf([3])), "DotBackward0", #line),             // (3,) @ (3,)
            (x.matmul(leaf([3])), "MvBackward0", #line),                      // (2, 3) @ (3,)
            (leaf([3]).matmul(leaf([3, 2])), "SqueezeBackward4", #line),      // (3,) @ (3, 2)
            (x.matmul(leaf([3, 2])), "MmBackward0", #line),                   // (2, 3) @ (3, 2)
            (x.matmul(x.T), "MmBackward0", #line),                            // x @ x.T
            (leaf([4, 2, 3]).matmul(leaf([4, 3, 2])), "UnsafeViewBackward0", #line),  // (4, 2, 3) @ (4, 3, 2)
            (leaf([4, 2, 3]).matmul(leaf([3, 2])), "UnsafeViewBackward0", #line),     // (4, 2, 3) @ (3, 2)
            (leaf([2, 4, 2, 3]).matmul(leaf([2, 4, 3, 2])), "UnsafeViewBackward0", #line),  // 4-D @ 4-D
            (leaf([3]).matmul(leaf([4, 3, 2])), "UnsafeViewBackward0", #line),        // (3,) @ (4, 3, 2)
            (x.matmul(leaf([4, 3, 2])), "CloneBackward0", #line),                     // (2, 3) @ (4, 3, 2)
            (leaf([1, 2, 3]).matmul(leaf([4, 3, 2])), "CloneBackward0", #line),       // (1, 2, 3) @ (4, 3, 2)
            (leaf([1, 2, 3]).matmul(leaf([1, 3, 2])), "UnsafeViewBackward0", #line),  // (1, 2, 3) @ (1, 3, 2)
            // F.linear
            (Tensor.linear(x, weight: leaf([4, 3]), bias: leaf([4])), "AddmmBackward0", #line),         // (2, 3) input
            (Tensor.linear(x, weight: leaf([4, 3])), "MmBackward0", #line),
            (Tensor.linear(leaf([5, 2, 3]), weight: leaf([4, 3]), bias: leaf([4])), "ViewBackward0", #line),  // (5, 2, 3) input
            (Tensor.linear(leaf([5, 2, 3]), weight: leaf([4, 3])), "UnsafeViewBackward0", #line),
            (Tensor.linear(leaf([3]), weight: leaf([4, 3]), bias: leaf([4])), "ViewBackward0", #line),  // (3,) input
            (Tensor.linear(leaf([3]), weight: leaf([4, 3])), "SqueezeBackward4", #line),
        ]
        for (tensor, name, line) in cases {
            XCTAssertEqual(tensor.gradFnName, name, line: line)
            XCTAssertTrue(tensor.description.hasSuffix("grad_fn=<\(name)>)"), tensor.description, line: line)
        }
    }
}
