import Foundation
import TestSupport
import XCTest
@testable import TensorKit

/// The safetensors reader survives any bytes: thousands of seeded mutations of real files
/// (written by Hugging Face's library) end in a `SafeTensorsError` naming the file, or in a
/// file whose every tensor reads — never a crash, a hang or a runaway allocation.
final class SafeTensorsFuzzTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try fuzzScratchDirectory("safetensors-fuzz")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The words of a safetensors header: its keys, every dtype (and some that do not exist).
    static let tokens = Mutator.jsonTokens + [
        "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"format\"", "\"pt\"",
        "\"F64\"", "\"F32\"", "\"F16\"", "\"BF16\"", "\"I64\"", "\"I32\"", "\"U32\"", "\"I16\"", "\"U16\"", "\"I8\"", "\"U8\"",
        "\"BOOL\"", "\"F8_E4M3\"", "\"U64\"", "\"f32\"", "[0,0]", "[-1]", "[4294967296,4294967296]",
    ]

    /// Opens the file and reads every tensor, as floats and, for integer dtypes, as integers.
    func readEverything(_ url: URL) throws {
        let file = try SafeTensorsFile(contentsOf: url, pieceBytes: 64)   // small pieces: the piece loop is fuzzed too
        for name in file.names {
            let info = try XCTUnwrap(file.info(name))
            let t = try file.tensor(name)
            XCTAssertEqual(t.shape, info.shape)
            if !info.dtype.isFloatingPoint { XCTAssertEqual(try file.integers(name).values.count, info.count) }
        }
    }

    func run(_ fixture: String, cases: Int, seed: UInt64) throws {
        let original = [UInt8](try Data(contentsOf: fixtureURL(fixture)))
        let url = directory.appendingPathComponent("case.safetensors")
        let outcome = fuzz(fixture, original: original, at: url, cases: cases, seed: seed, tokens: Self.tokens,
                           hotOffsets: Array(0..<8), parse: readEverything,
                           isExpected: { ($0 as? SafeTensorsError)?.path == url.path })
        XCTAssertGreaterThan(outcome.refused, cases / 4, "most damage is noticed")
        XCTAssertGreaterThan(outcome.parsed, 0, "some damage (in the numbers) leaves a valid file")
    }

    /// Every dtype the course reads, in one file.
    func testEveryDType() throws { try run("safetensors/dtypes.safetensors", cases: 3000, seed: 1) }

    /// Metadata and names with escapes.
    func testEscapesAndMetadata() throws { try run("safetensors/escapes.safetensors", cases: 1500, seed: 2) }

    /// A real checkpoint: mostly numbers, so most mutations hit the data.
    func testModelCheckpoint() throws { try run("gpt2-tiny/model.safetensors", cases: 200, seed: 3) }
}
