import XCTest

/// Chapters 7–10: expected outputs and the book's figures.
final class BlockChapterTests: XCTestCase {
    func testChapter10MatchesExpectedOutput() throws {
        try assertMatchesExpected("Chapter10_AddAndNormalizeAgain")
    }

    /// The book (Raschka, ch. 4 and its exercise): parameter counts and float32 sizes.
    func testChapter10BookFigures() throws {
        let out = try runChapter("Chapter10_AddAndNormalizeAgain").stdout
        for figure in ["163,009,536   621.83 MB         124,439,808", "406,212,608  1549.58 MB", "838,220,800  3197.56 MB",
                       "1,637,792,000  6247.68 MB", "parameters in one block: 7,085,568", "output shape: [2, 4, 768]"] {
            XCTAssertTrue(out.contains(figure), "missing: \(figure)")
        }
    }
}
