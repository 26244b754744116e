import XCTest
@testable import LLMKit
import TensorKit

/// Parameter counts: the formulas against real modules, and the book's and Hugging Face's figures.
final class ParameterCountTests: XCTestCase {
    func testFormulaMatchesTheModule() {
        for config in [GPTConfig(vocabSize: 50, contextLength: 8, embeddingDim: 12, numHeads: 3, numLayers: 2),
                       GPTConfig(vocabSize: 50, contextLength: 8, embeddingDim: 12, numHeads: 3, numLayers: 3, qkvBias: true, tiedHead: true)] {
            XCTAssertEqual(ParameterCount.gpt(config), GPTModel(config, generator: TorchGenerator(seed: 0)).parameterCount)
        }
    }

    /// The book (Raschka, ch. 4): 163,009,536 parameters, 124,412,160 with the head tied;
    /// GPT-2 small as released (with QKV bias) has 124,439,808.
    func testGPT2Figures() {
        var book = GPTConfig.gpt2Small124M
        XCTAssertEqual(ParameterCount.gpt(book), 163_009_536)
        book.tiedHead = true
        XCTAssertEqual(ParameterCount.gpt(book), 124_412_160)
        book.qkvBias = true
        XCTAssertEqual(ParameterCount.gpt(book), 124_439_808)
    }

    /// bert-base-uncased in Hugging Face reports 109,482,240 parameters (with the pooler).
    func testBERTBase() {
        XCTAssertEqual(ParameterCount.bert(vocabulary: 30522, positions: 512, dim: 768, layers: 12, feedForward: 3072), 109_482_240)
    }
}
