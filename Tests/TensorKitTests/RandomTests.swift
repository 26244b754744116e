import Foundation
import TestSupport
import XCTest
@testable import TensorKit

/// The generator against PyTorch's own outputs, compared bit for bit: the fixture
/// Tests/Fixtures/torch-rng.json (made by `torch.manual_seed(s)` and the listed calls, in
/// order), the book's figures, and a few values printed by PyTorch 2.13 (CPU build, x86-64)
/// whose Python is quoted next to them.
final class RandomTests: XCTestCase {
    struct Call: Decodable {
        let call: String
        let shape: [Int]?
        let values: [Double]?
        let weight: [Double]?
        let bias: [Double]?
    }
    struct Case: Decodable {
        let seed: UInt64
        let sequence: [Call]
    }

    func loadCases() throws -> [Case] {
        try JSONDecoder().decode([Case].self, from: Data(contentsOf: fixtureURL("torch-rng.json")))
    }

    /// Every value must be PyTorch's float exactly (the JSON holds each float32 as a double,
    /// which converts back without loss).
    func assertBitExact(_ got: [Float], _ want: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, "\(what): count", file: file, line: line)
        for (i, (g, w)) in zip(got, want).enumerated() where g.bitPattern != Float(w).bitPattern {
            XCTFail("\(what)[\(i)]: \(g) but PyTorch gives \(Float(w))", file: file, line: line)
        }
    }

    // MARK: - The fixture

    func testEveryFixtureCaseIsBitExact() throws {
        var checked = 0
        for c in try loadCases() {
            let g = TorchGenerator(seed: c.seed)
            for call in c.sequence {
                let what = "seed \(c.seed) \(call.call) \(call.shape ?? [])"
                switch call.call {
                case "rand":
                    let t = g.rand(call.shape!)
                    XCTAssertEqual(t.shape, call.shape!)
                    assertBitExact(t.data, call.values!, what)
                case "randn":
                    let t = g.randn(call.shape!)
                    XCTAssertEqual(t.shape, call.shape!)
                    assertBitExact(t.data, call.values!, what)
                case "nn.Linear(3, 2)", "nn.Linear(3, 2, bias=False)":
                    let (w, b) = g.linearInit(inFeatures: 3, outFeatures: 2, bias: call.bias != nil)
                    XCTAssertEqual(w.shape, [2, 3])
                    assertBitExact(w.data, call.weight!, what + " weight")
                    if let bias = call.bias { assertBitExact(b?.data ?? [], bias, what + " bias") } else { XCTAssertNil(b) }
                case "nn.Embedding(10, 4)":
                    let w = g.embeddingInit(count: 10, dim: 4)
                    XCTAssertEqual(w.shape, [10, 4])
                    assertBitExact(w.data, call.weight!, what)
                default:
                    XCTFail("unknown fixture call \(call.call)")
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 21, "3 seeds × 6 calls, then Linear, Linear without bias, Embedding")
    }

    // MARK: - The book's figures

    /// torch.manual_seed(123); nn.Embedding(6, 3): row 0 is [0.3374, -0.1778, -0.1690].
    func testBookEmbedding() {
        let w = TorchGenerator(seed: 123).embeddingInit(count: 6, dim: 3)
        XCTAssertEqual(w.shape, [6, 3])
        for (got, want) in zip(w.data.prefix(3), [Float(0.3374), -0.1778, -0.1690]) {
            XCTAssertEqual(got, want, accuracy: 0.5e-4)
        }
        // PyTorch's floats: print(nn.Embedding(6, 3).weight[0].tolist()) after manual_seed(123)
        assertBitExact(Array(w.data.prefix(3)), [0.3373701870441437, -0.1777772158384323, -0.16895627975463867], "Embedding(6, 3)")
    }

    /// The book's dropout figure: torch.manual_seed(123); nn.Dropout(0.5)(torch.ones(6, 6))
    /// keeps (×2) exactly these cells. PyTorch 2.13 on an AMD CPU gives the same mask, from
    /// torch.empty(6, 6).bernoulli_(0.5) after torch.manual_seed(123).
    func testBookDropoutMask() {
        let book: [Float] = [1, 1, 0, 1, 1, 0,
                             0, 0, 0, 1, 0, 1,
                             1, 1, 1, 1, 0, 1,
                             0, 1, 1, 0, 0, 1,
                             0, 1, 0, 1, 0, 1,
                             0, 1, 1, 1, 1, 0]
        let mask = TorchGenerator(seed: 123).bernoulli([6, 6], p: 0.5)
        XCTAssertEqual(mask.shape, [6, 6])
        XCTAssertEqual(mask.data, book)
    }

    // MARK: - More of PyTorch's calls (values printed by PyTorch 2.13)

    /// g = torch.Generator() (no seed): torch.rand(2, generator=g) == [0.267295241355896, 0.8725283145904541].
    func testUnseededGeneratorIsTorchGeneratorDefault() {
        assertBitExact(TorchGenerator().rand([2]).data, [0.267295241355896, 0.8725283145904541], "torch.Generator()")
    }

    /// torch.manual_seed(2**32 + 123) behaves as manual_seed(123): the twister takes 32 bits.
    func testOnlyTheLow32BitsOfTheSeedMatter() {
        let g = TorchGenerator(seed: (1 << 32) + 123)
        assertBitExact(g.rand([2]).data, [0.29611194133758545, 0.516562283039093], "seed 2**32 + 123")
        XCTAssertEqual(g.initialSeed, (1 << 32) + 123)
    }

    /// torch.manual_seed(123); torch.empty(4).uniform_(-0.3, 0.7)
    func testUniformWithBounds() {
        let t = TorchGenerator(seed: 123).uniform([4], low: -0.3, high: 0.7)
        assertBitExact(t.data, [-0.003888070583343506, 0.21656227111816406, -0.048329293727874756, 0.3885567784309387],
                       "uniform_(-0.3, 0.7)")
    }

    /// torch.manual_seed(123); torch.empty(5).normal_(0.1, 0.02); torch.randn(1) — the double
    /// path, whose 6th number comes from the cache the 5th call left behind.
    func testSmallNormalUsesDoublesAndTheCache() {
        let g = TorchGenerator(seed: 123)
        assertBitExact(g.normal([5], mean: 0.1, std: 0.02).data,
                       [0.09777066111564636, 0.10240726172924042, 0.09260731190443039, 0.09519164264202118, 0.07606150954961777],
                       "normal_(0.1, 0.02) of 5")
        assertBitExact(g.randn([1]).data, [0.20926935970783234], "randn(1) from the cache")
    }

    /// torch.manual_seed(123); torch.empty(17).normal_(1.0, 0.5) — one block of 16, then the
    /// last 16 drawn again.
    func testLargeNormalWithMeanAndStd() {
        let t = TorchGenerator(seed: 123).normal([17], mean: 1, std: 0.5)
        assertBitExact(t.data, [1.1686850786209106, 0.4897640347480774, 0.9155218601226807, 1.4588823318481445,
                                1.7904847860336304, 1.6505199670791626, 1.6376506090164185, 0.8995234370231628,
                                0.9197180867195129, 0.21384787559509277, 1.4832857847213745, 0.425927996635437,
                                0.4205660820007324, 1.1627354621887207, 0.6842473149299622, -0.419996976852417,
                                0.6075733304023743], "normal_(1.0, 0.5) of 17")
    }

    /// torch.manual_seed(123); torch.randint(0, 10, (12,)); and a range above 2³², which
    /// takes 64-bit draws: torch.manual_seed(123); torch.randint(-3, 2**40, (4,)).
    func testRandint() {
        XCTAssertEqual(TorchGenerator(seed: 123).randint(0, 10, [12]), [2, 9, 2, 0, 0, 2, 6, 7, 9, 4, 1, 1])
        XCTAssertEqual(TorchGenerator(seed: 123).randint(-3, 1 << 40, [4]),
                       [1_093_948_758_531, 542_991_746_040, 947_848_715_154, 990_903_456_556])
    }

    /// torch.manual_seed(123); torch.randperm(10)
    func testRandperm() {
        XCTAssertEqual(TorchGenerator(seed: 123).randperm(10), [2, 0, 8, 1, 3, 7, 4, 9, 5, 6])
        XCTAssertEqual(TorchGenerator(seed: 1).randperm(0), [])
        XCTAssertEqual(TorchGenerator(seed: 1).randperm(1), [0])
    }

    // MARK: - State

    /// A restored state continues the same sequence — twister position and cached normal
    /// included — even after a trip through JSON, as in a training checkpoint.
    func testStateRestoreContinuesTheSameSequence() throws {
        let g = TorchGenerator(seed: 7)
        _ = g.rand([1000])           // the position is part-way through the 624 words
        _ = g.randn([5])             // leaves a cached normal behind
        let saved = g.state
        XCTAssertNotNil(saved.cachedNormal)
        let expected = (g.randn([3]).data, g.rand([700]).data, g.randn([40]).data)

        let decoded = try JSONDecoder().decode(GeneratorState.self, from: JSONEncoder().encode(saved))
        XCTAssertEqual(decoded, saved)
        let other = TorchGenerator(seed: 999)
        other.restore(decoded)
        XCTAssertEqual(other.randn([3]).data, expected.0)
        XCTAssertEqual(other.rand([700]).data, expected.1)
        XCTAssertEqual(other.randn([40]).data, expected.2)
        XCTAssertEqual(other.initialSeed, 7)
    }

    /// Re-seeding forgets the cached normal, as torch.manual_seed does.
    func testManualSeedResetsTheCache() {
        let g = TorchGenerator(seed: 123)
        _ = g.randn([5])
        g.manualSeed(123)
        XCTAssertEqual(g.randn([3]).data, TorchGenerator(seed: 123).randn([3]).data)
    }

    // MARK: - Raw draws and the global generator

    /// The 64-bit draw is two 32-bit draws, the first one high; floats use the low 24 bits.
    func testRawDrawsCompose() {
        let a = TorchGenerator(seed: 5), b = TorchGenerator(seed: 5)
        let high = UInt64(b.nextUInt32()), low = UInt64(b.nextUInt32())
        XCTAssertEqual(a.nextUInt64(), high << 32 | low)
        XCTAssertEqual(a.uniformFloat(), Float(b.nextUInt32() & 0xFF_FFFF) / 16_777_216)
    }

    func testGlobalGeneratorMatchesASeededOne() {
        Tensor.manualSeed(123)
        XCTAssertEqual(Tensor.rand([3, 2]).data, TorchGenerator(seed: 123).rand([3, 2]).data)
        Tensor.manualSeed(123)
        XCTAssertEqual(Tensor.randperm(10), [2, 0, 8, 1, 3, 7, 4, 9, 5, 6])
    }
}
