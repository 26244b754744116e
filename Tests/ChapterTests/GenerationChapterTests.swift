import Foundation
import XCTest

final class FindingTheNextWordChapterTests: XCTestCase {
    func testMatchesExpectedOutput() throws {
        try assertMatchesExpected("Chapter12_FindingTheNextWord")
    }

    /// The book's figures (Raschka, ch. 5): softmax of the toy logits, and after top-3.
    func testBookFigures() throws {
        let out = try runChapter("Chapter12_FindingTheNextWord").stdout
        XCTAssertTrue(out.contains("tensor([0.0615, 0.0000, 0.0000, 0.5775, 0.0000, 0.0000, 0.0000, 0.3610, 0.0000])"))
        XCTAssertTrue(out.contains("forward 6.75  ████████████████████████████████████ 0.5721"))
        XCTAssertTrue(out.contains("greedy: \"forward\""))
        let bad = try runChapter("Chapter12_FindingTheNextWord", ["--top-p", "1.5"])
        XCTAssertEqual(bad.status, 2)
    }
}
