import TestSupport
import XCTest
@testable import LLMKit
import TensorKit
import Tokenizers

final class SlidingWindowTests: XCTestCase {
    /// The book's example: the-verdict with GPT-2's tokenizer, max_length 4, stride 1.
    func testBookExample() throws {
        let text = try String(contentsOf: dataDirectory.appendingPathComponent("the-verdict.txt"), encoding: .utf8)
        let ids = try GPT2Tokenizer(directory: dataDirectory.appendingPathComponent("gpt2")).encode(text)
        let data = SlidingWindowDataset(ids: ids, maxLength: 4, stride: 1)
        XCTAssertEqual(data[0].input, [40, 367, 2885, 1464])
        XCTAssertEqual(data[0].target, [367, 2885, 1464, 1807])
        XCTAssertEqual(data[1].input, [367, 2885, 1464, 1807])
        XCTAssertEqual(data.count, 5141)
        // batch 8, stride 4 as the book continues: the first batch's second row starts at token 4
        let batches = SlidingWindowDataset(ids: ids, maxLength: 4, stride: 4).batches(batchSize: 8)
        XCTAssertEqual(batches[0].shape, [8, 4])
        XCTAssertEqual(Array(batches[0].inputs[4..<8]), [1807, 3619, 402, 271])
    }

    func testCountsAndShuffling() {
        let data = SlidingWindowDataset(ids: Array(0..<10), maxLength: 3, stride: 2)
        XCTAssertEqual(data.count, 4)        // starts 0, 2, 4, 6 (6 + 3 < 10)
        XCTAssertEqual(data[3].target, [7, 8, 9])
        XCTAssertEqual(data.batches(batchSize: 3).count, 1)
        XCTAssertEqual(data.batches(batchSize: 3, dropLast: false).map(\.shape), [[3, 3], [1, 3]])
        let a = data.batches(batchSize: 4, shuffle: TorchGenerator(seed: 1)), b = data.batches(batchSize: 4, shuffle: TorchGenerator(seed: 1))
        XCTAssertEqual(a[0].inputs, b[0].inputs)
        XCTAssertEqual(Set(a[0].inputs), Set(data.batches(batchSize: 4)[0].inputs))
        XCTAssertEqual(SlidingWindowDataset(ids: [1, 2, 3], maxLength: 3, stride: 1).count, 0)
    }
}
