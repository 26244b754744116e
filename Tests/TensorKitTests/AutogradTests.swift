import XCTest
@testable import TensorKit

/// The autograd machinery itself: scopes, detaching, accumulation.
final class AutogradTests: XCTestCase {
    func testNoGradRecordsNothing() {
        let x = Tensor([1, 2, 3]).requiringGrad()
        let y = withNoGrad { (x * 2).sum() }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(isGradEnabled)
        XCTAssertTrue((x * 2).requiresGrad)
    }

    func testDetachCutsTheGraph() {
        let x = Tensor([1, 2]).requiringGrad()
        let y = (x * 3).detach()
        XCTAssertFalse(y.requiresGrad)
        let z = (x * y).sum()            // d/dx = y, and nothing flows through y
        z.backward()
        XCTAssertEqual(x.grad!.data, [3, 6])
    }

    func testGradientsAccumulateUntilZeroed() {
        let x = Tensor([1, 2]).requiringGrad()
        (x * x).sum().backward()
        (x * 3).sum().backward()
        XCTAssertEqual(x.grad!.data, [2 + 3, 4 + 3])
        x.zeroGrad()
        XCTAssertNil(x.grad)
        (x * 5).sum().backward()
        XCTAssertEqual(x.grad!.data, [5, 5])
    }

    func testBackwardWithAGivenGradient() {
        let x = Tensor([1, 2, 3]).requiringGrad()
        (x * x).backward(Tensor([1, 0, 2]))
        XCTAssertEqual(x.grad!.data, [2, 0, 12])
    }

    func testIntermediatesDoNotKeepGradients() {
        let x = Tensor([1, 2]).requiringGrad()
        let h = x * 2
        (h * h).sum().backward()
        XCTAssertNil(h.grad)
        XCTAssertEqual(x.grad!.data, [8, 16])
    }

    func testDeepGraphDoesNotOverflowTheStack() {
        let x = Tensor([0.5]).requiringGrad()
        var y = x
        for _ in 0..<20_000 { y = y * 1.0 }
        y.sum().backward()
        XCTAssertEqual(x.grad!.data, [1])
    }
}
