import Foundation
import XCTest

/// The exercises that once said "change the code" are flags: each flag does what its exercise
/// says, checked against a direct computation, and bad values are refused.
final class ExperimentFlagTests: XCTestCase {
    /// Chapter 3 `--scale 10`: the inputs ten times longer, so the scores 100 times larger; the
    /// softmax of the book's "Your" row, computed here, is what the heatmap shows.
    func testChapter03Scale() throws {
        let run = try runChapter("Chapter03_SimplifiedSelfAttention", ["--scale", "10"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let x: [[Double]] = [[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64],
                             [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]]
        let scores = x.map { row in 100 * zip(x[0], row).map { $0 * $1 }.reduce(0, +) }    // "Your" against every word
        let e = scores.map { exp($0 - scores.max()!) }
        let weights = e.map { $0 / e.reduce(0, +) }
        let line = try XCTUnwrap(run.stdout.components(separatedBy: "\n").first { $0.hasPrefix("Your   ") })
        let printed = line.split(separator: " ").dropFirst().map { Double($0.drop { !$0.isNumber })! }
        XCTAssertEqual(printed.count, 6)
        for (p, w) in zip(printed, weights) { XCTAssertEqual(p, w, accuracy: 0.005 + 1e-9) }
        XCTAssertEqual(try runChapter("Chapter03_SimplifiedSelfAttention", ["--scale", "0"]).status, 2)
    }

    /// Chapter 5 `--mask-value`: −1e9 hides the future as −∞ does; −10 lets some weight leak
    /// to future positions; a positive value is refused.
    func testChapter05MaskValue() throws {
        let huge = try runChapter("Chapter05_CausalAttention", ["--mask-value", "-1e9"]).stdout
        XCTAssertTrue(huge.contains("— the two methods agree"))
        XCTAssertTrue(huge.contains("weight given to future positions, all rows together: 0.000e+00"))
        let small = try runChapter("Chapter05_CausalAttention", ["--mask-value", "-10"]).stdout
        XCTAssertTrue(small.contains("— the future is not hidden: the two methods disagree"))
        let leak = try XCTUnwrap(small.components(separatedBy: "future positions, all rows together: ").dropFirst().first?.prefix(9))
        XCTAssertGreaterThan(Double(leak)!, 1e-4)
        let bad = try runChapter("Chapter05_CausalAttention", ["--mask-value", "5"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--mask-value"), bad.stderr)
    }

    /// Chapter 8 `--shortcut-layers 7`: seven rows, the first layer's gradient far smaller than
    /// the last's without shortcuts; `--row` with equal numbers gives LayerNorm zeros and the
    /// ε-less formula NaN (0/0).
    func testChapter08ShortcutLayersAndRow() throws {
        let run = try runChapter("Chapter08_AddAndNormalize", ["--shortcut-layers", "7", "--row", "3,3,3", "--steps", "20", "--warmup", "10"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let rows = run.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("layers.") }
        XCTAssertEqual(rows.count, 7)
        let first = Double(rows.first!.split(separator: " ")[1])!, last = Double(rows.last!.split(separator: " ")[1])!
        XCTAssertGreaterThan(last / first, 100)
        XCTAssertTrue(run.stdout.contains("LayerNorm, ε = 1e-5:           tensor([0., 0., 0.])"))
        XCTAssertTrue(run.stdout.contains("without ε, (x − mean) / √var: tensor([nan, nan, nan])"))
        XCTAssertEqual(try runChapter("Chapter08_AddAndNormalize", ["--shortcut-layers", "1"]).status, 2)
        XCTAssertEqual(try runChapter("Chapter08_AddAndNormalize", ["--row", "1"]).status, 2)
    }

    /// Chapter 11 `--hidden-scale 10`: LayerNorm removes the scale (up to its ε), so the
    /// probabilities and the greedy choice are those of the unscaled run.
    func testChapter11HiddenScale() throws {
        func probabilities(_ arguments: [String]) throws -> String {
            let out = try runChapter("Chapter11_LinearLayerAndProjection", arguments).stdout
            return try XCTUnwrap(out.components(separatedBy: "softmax(logits)  [1, 5]\n").dropFirst().first?.prefix { $0 != "\n" }.description)
        }
        XCTAssertEqual(try probabilities(["--hidden-scale", "10", "--tokens", "1"]), try probabilities(["--tokens", "1"]))
        XCTAssertEqual(try runChapter("Chapter11_LinearLayerAndProjection", ["--hidden-scale", "-1"]).status, 2)
    }
}
