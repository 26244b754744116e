import XCTest
@testable import TensorKit

/// The pool of dead tensors' memory: reuse, zeroing, shared storage, the size limit.
final class BufferPoolTests: XCTestCase {
    override func setUp() {
        BufferPool.removeAll()
        BufferPool.resetStatistics()
    }

    override func tearDown() {
        TensorKitConfig.bufferPoolLimit = 1 << 30
        held = []
        BufferPool.removeAll()
    }

    /// Storage a test keeps alive until it ends.
    var held: [TensorStorage] = []

    func address(_ storage: TensorStorage) -> UInt { UInt(bitPattern: storage.bytes) }

    /// A tensor of `count` elements over fresh (or pooled) storage.
    func tensor(_ count: Int) -> Tensor { Tensor(shape: [count], storage: TensorStorage(uninitialized: count)) }

    /// Gives back and takes again (keeping it) a buffer of each of `sizes`, so that the pool
    /// keeps every buffer of them from now on; then clears the counts.
    func recurring(_ sizes: Int...) {
        for size in sizes {
            _ = tensor(size)
            held.append(TensorStorage(uninitialized: size))
        }
        BufferPool.resetStatistics()
    }

    func testOfASizeNotYetReusedOnlyOneBufferIsKept() {
        var a: Tensor? = tensor(5000)
        var b: Tensor? = tensor(5000)
        a = nil; b = nil
        XCTAssertEqual(BufferPool.statistics.returned, 1, "the second may never be needed")
        XCTAssertEqual(BufferPool.heldBytes, 5000 * 4)
        a = tensor(5000)      // reused: the size recurs
        b = tensor(5000)
        a = nil; b = nil
        XCTAssertEqual(BufferPool.statistics.returned, 3, "now both are kept")
        XCTAssertEqual(BufferPool.statistics.fresh, 3)
        XCTAssertEqual(BufferPool.statistics.reused, 1)
    }

    func testADeadTensorsStorageServesTheNextTensorOfItsSize() {
        recurring(4096)
        var first: Tensor? = Tensor(shape: [64, 64], repeating: 3)
        let memory = address(first!.storage)
        first = nil
        XCTAssertEqual(BufferPool.statistics.returned, 1)
        XCTAssertEqual(BufferPool.heldBytes, 4096 * 4)

        let reused = TensorStorage(uninitialized: 4096)
        XCTAssertEqual(address(reused), memory, "the same memory comes back")
        XCTAssertEqual(BufferPool.statistics.reused, 1)
        XCTAssertEqual(BufferPool.heldBytes, 0)

        // Another size is not served from it.
        _ = TensorStorage(uninitialized: 4097)
        XCTAssertEqual(BufferPool.statistics.fresh, 2, "the first tensor's storage and this one")
    }

    func testZerosAreZeroEvenInReusedStorage() {
        recurring(2048)
        var dead: Tensor? = Tensor(shape: [2048], repeating: 7)
        dead = nil
        let zeros = TensorStorage(zeros: 2048)
        XCTAssertEqual(BufferPool.statistics.reused, 1)
        XCTAssertEqual(zeros.array(), [Float](repeating: 0, count: 2048))
    }

    func testSmallTensorsAreLeftToTheAllocator() {
        recurring(1023)
        var small: Tensor? = Tensor(shape: [1023], repeating: 1)
        small = nil
        XCTAssertEqual(BufferPool.statistics.returned, 0)
        XCTAssertEqual(BufferPool.heldBytes, 0)
    }

    func testStorageSharedByAReshapeGoesBackOnlyWhenBothHaveDied() {
        recurring(2048)
        var source: Tensor? = Tensor(shape: [32, 64], repeating: 1)
        var view: Tensor? = source!.reshape([2048])
        source = nil
        XCTAssertEqual(BufferPool.statistics.returned, 0, "the view still uses the storage")
        let other = TensorStorage(uninitialized: 2048)
        XCTAssertNotEqual(address(other), address(view!.storage))
        XCTAssertEqual(view!.data, [Float](repeating: 1, count: 2048), "the view's values are untouched")
        view = nil
        XCTAssertEqual(BufferPool.statistics.returned, 1)
    }

    func testTheLastOfAChainOfViewsToDieGivesTheStorageBack() {
        // The view holds its source in `inputs`, so the source dies inside the view's deinit.
        recurring(2048)
        var view: Tensor? = Tensor(shape: [32, 64], repeating: 1).requiringGrad().reshape([2048])
        XCTAssertEqual(view!.op, "view")
        view = nil
        XCTAssertEqual(BufferPool.statistics.returned, 1)
    }

    func testAGradientTakenFromAnotherTensorKeepsItsValues() {
        // backward() gives a leaf a gradient sharing the storage of a temporary that then dies.
        recurring(2048)
        let x = Tensor(shape: [64, 32], repeating: 2).requiringGrad()
        (x * 3).sum().backward()
        let gradient = x.grad!.data
        // Take every free buffer of that size, writing into it.
        let taken = (0..<4).map { _ in TensorStorage(repeating: -1, count: 2048) }
        XCTAssertFalse(taken.contains { address($0) == address(x.grad!.storage) })
        XCTAssertEqual(gradient, [Float](repeating: 3, count: 2048))
        XCTAssertEqual(x.grad!.data, [Float](repeating: 3, count: 2048))
    }

    func testWritingIntoSharedStorageGivesTheWriterACopy() {
        recurring(4096)
        let source = Tensor(shape: [64, 64], repeating: 5)
        let view = source.reshape([4096])
        XCTAssertTrue(view.storage === source.storage, "a reshape shares the storage")
        view[0] = 7
        XCTAssertFalse(view.storage === source.storage, "the write copied it")
        XCTAssertEqual(view[0], 7)
        XCTAssertEqual(source[0, 0], 5, "the source keeps its values")
        XCTAssertEqual(BufferPool.statistics.reused, 0, "the copy was fresh memory")
        let alone = Tensor(shape: [4096], repeating: 1)
        let before = address(alone.storage)
        alone[1] = 2
        XCTAssertEqual(address(alone.storage), before, "storage held by one tensor is written in place")
    }

    func testThePoolKeepsToItsLimitLettingGoOfTheOldestSizes() {
        recurring(4096, 4000, 3000, 2000, 3500)
        TensorKitConfig.bufferPoolLimit = 3 * 4096 * 4      // three buffers of 4,096 floats
        for size in [4096, 4000, 3000, 2000, 3500] {
            var t: Tensor? = Tensor(shape: [size], repeating: 1)
            t = nil
        }
        XCTAssertLessThanOrEqual(BufferPool.heldBytes, TensorKitConfig.bufferPoolLimit)
        XCTAssertEqual(BufferPool.statistics.returned, 5)
        XCTAssertEqual(BufferPool.statistics.released, 2, "the two sizes given back first")
        XCTAssertEqual(BufferPool.heldBytes, (3000 + 2000 + 3500) * 4)
        BufferPool.resetStatistics()
        held += [TensorStorage(uninitialized: 4096), TensorStorage(uninitialized: 3500)]
        XCTAssertEqual(BufferPool.statistics.fresh, 1, "4,096 was let go, 3,500 was kept")
        XCTAssertEqual(BufferPool.statistics.reused, 1)
    }

    func testASizeLeftBehindIsLetGoOnceOthersKeepBeingAllocated() {
        recurring(5000)
        var dead: Tensor? = tensor(5000)
        dead = nil
        XCTAssertEqual(BufferPool.heldBytes, 5000 * 4)
        // Shapes that keep changing (as when generating without a cache): 5,000 is not needed again.
        for step in 0..<Int(BufferPool.forgetAfter) + 64 { held.append(TensorStorage(uninitialized: 6000 + step)) }
        XCTAssertEqual(BufferPool.heldBytes, 0)
        XCTAssertEqual(BufferPool.statistics.released, 1)
    }

    func testInASteadyStateNothingIsForgotten() {
        recurring(5000, 7000)
        for _ in 0..<1000 {
            var a: Tensor? = tensor(5000)
            var b: Tensor? = tensor(7000)
            a = nil; b = nil
        }
        XCTAssertEqual(BufferPool.statistics.fresh, 2, "only the first of each size")
        XCTAssertEqual(BufferPool.statistics.released, 0)
        XCTAssertEqual(BufferPool.heldBytes, 12000 * 4)
    }

    func testInferenceLeavesItsMemoryToTheAllocator() {
        recurring(4096)
        withNoGrad {
            var t: Tensor? = tensor(4096)
            t = nil
            BufferPool.withScratch(4096) { _ in }
        }
        XCTAssertEqual(BufferPool.statistics.returned, 0)
        XCTAssertEqual(BufferPool.heldBytes, 0)
        // …while what dies inside backward() (which runs with recording off) is kept.
        let x = Tensor(shape: [4096], repeating: 1).requiringGrad()
        (x * 2).sum().backward()
        XCTAssertGreaterThan(BufferPool.statistics.returned, 0)
    }

    func testALimitOfZeroTurnsThePoolOff() {
        TensorKitConfig.bufferPoolLimit = 0
        var t: Tensor? = Tensor(shape: [4096], repeating: 1)
        t = nil
        _ = TensorStorage(uninitialized: 4096)
        XCTAssertEqual(BufferPool.statistics, BufferPool.Statistics())
        XCTAssertEqual(BufferPool.heldBytes, 0)
    }

    func testScratchMemoryIsReused() {
        let first = BufferPool.withScratch(5000) { UInt(bitPattern: $0) }
        let second = BufferPool.withScratch(5000) { UInt(bitPattern: $0) }
        XCTAssertEqual(first, second)
        XCTAssertEqual(BufferPool.statistics.fresh, 1)
        XCTAssertEqual(BufferPool.statistics.reused, 1)
    }

    func testAMatmulAfterWarmUpAllocatesNothingFresh() {
        let g = TorchGenerator(seed: 0)
        let a = g.rand([96, 200]).requiringGrad(), b = g.rand([200, 160]).requiringGrad()
        func step() -> [Float] {
            a.zeroGrad(); b.zeroGrad()
            let loss = a.matmul(b).gelu(approximate: true).sum()
            loss.backward()
            return a.grad!.data + b.grad!.data
        }
        let threads = TensorKitConfig.threadCount
        TensorKitConfig.threadCount = 1       // scratch blocks needed one at a time, the same each step
        defer { TensorKitConfig.threadCount = threads }
        let first = step()
        _ = step()                            // every size reused once: all its buffers are kept from now on
        BufferPool.resetStatistics()
        let second = step()
        XCTAssertEqual(first, second, "reused storage gives the same bits")
        XCTAssertEqual(BufferPool.statistics.fresh, 0)
        XCTAssertGreaterThan(BufferPool.statistics.reused, 3)
    }
}
