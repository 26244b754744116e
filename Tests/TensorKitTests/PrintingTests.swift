import Foundation
import TestSupport
import XCTest
@testable import TensorKit

/// Printing against PyTorch itself: Tests/Fixtures/pytorch-printing.json holds, for each case,
/// the shape, the values and `repr(tensor)` as PyTorch 2.13 printed it
/// (made by Tests/Fixtures/make_pytorch_printing.py).
final class PrintingTests: XCTestCase {
    func loadCases() throws -> [String: (shape: [Int], values: [Float], repr: String)] {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtureURL("pytorch-printing.json"))) as! [String: Any]
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

    func testEveryCaseAsPyTorchPrintsIt() throws {
        let cases = try loadCases()
        XCTAssertGreaterThanOrEqual(cases.count, 25)
        for (name, c) in cases.sorted(by: { $0.key < $1.key }) {
            var tensor = Tensor(shape: c.shape, data: c.values)
            switch name {
            case "requires_grad", "grad_fn_long":
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

    func testOtherPrecision() {
        XCTAssertEqual(Tensor([1, 2.5]).formatted(precision: 2), "tensor([1.00, 2.50])")
    }

    func testGradFnNamesFollowPyTorch() {
        let a = Tensor([[1, 2], [3, 4]]).requiringGrad()
        XCTAssertTrue((a + a).description.hasSuffix("grad_fn=<AddBackward0>)"))
        XCTAssertTrue(a.matmul(a).description.hasSuffix("grad_fn=<MmBackward0>)"))
        XCTAssertTrue(a.sum().description.hasSuffix("grad_fn=<SumBackward0>)"))
    }
}
