import Foundation
import TensorKit
import TestSupport
import XCTest
@testable import LLMKit

/// A course checkpoint taken to PyTorch and back (Tests/Fixtures/hf-roundtrip, made by
/// make_roundtrip.py with transformers 5.25): what `save_pretrained` writes after
/// `GPT2LMHeadModel.from_pretrained` read data/shakespeare-char is the course's model bit for
/// bit, and a model trained further in PyTorch (two processes, DistributedDataParallel) comes
/// back computing transformers' logits.
final class PyTorchRoundTripTests: XCTestCase {
    let original = dataDirectory.appendingPathComponent("shakespeare-char")
    let gpt2Files = dataDirectory.appendingPathComponent("gpt2")

    func testTransformersSaveReadsBackBitForBit() throws {
        let (model, tokenizer) = try loadGPTCheckpoint(original, gpt2Files: gpt2Files)
        let (back, backTokenizer) = try loadGPTCheckpoint(fixtureURL("hf-roundtrip/shakespeare-char"), gpt2Files: gpt2Files)
        XCTAssertEqual(back.config, model.config, "course_config rides through transformers' config.json")
        XCTAssertEqual(backTokenizer.kind, "char")
        XCTAssertEqual(backTokenizer.tokenizer.vocabularySize, tokenizer.tokenizer.vocabularySize)
        let parameters = back.namedParameters()
        XCTAssertEqual(parameters.map(\.name), model.namedParameters().map(\.name))
        for ((name, a), (_, b)) in zip(parameters, model.namedParameters()) {
            XCTAssertEqual(a.data.map(\.bitPattern), b.data.map(\.bitPattern), name)
        }
        // and the files hold the same tensors under the same names
        let saved = try SafeTensorsFile(contentsOf: fixtureURL("hf-roundtrip/shakespeare-char/model.safetensors"))
        let written = try SafeTensorsFile(contentsOf: original.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(saved.names, written.names)
        for name in saved.names {
            XCTAssertEqual(saved.info(name)?.dtype, written.info(name)?.dtype, name)
            XCTAssertEqual(try saved.tensor(name).data.map(\.bitPattern), try written.tensor(name).data.map(\.bitPattern), name)
        }
    }

    func testModelTrainedInPyTorchComesBack() throws {
        let directory = fixtureURL("hf-roundtrip/shakespeare-char-pytorch")
        let (model, tokenizer) = try loadGPTCheckpoint(directory, gpt2Files: gpt2Files)
        XCTAssertEqual(tokenizer.kind, "char")
        let expected = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("expected.safetensors"))
        let (shape, ids) = try expected.integers("input_ids")
        let logits = withNoGrad { model(ids, shape: shape) }                       // (1, T, 65)
        assertMatchesReference("trained in PyTorch, logits", logits, try expected.tensor("logits"), relative: 1e-5)
        // the course saved no QKV bias (zeros, in GPT-2's layout); PyTorch trained those zeros,
        // so the model comes back with its biases
        let (shipped, _) = try loadGPTCheckpoint(original, gpt2Files: gpt2Files)
        XCTAssertFalse(shipped.config.qkvBias)
        XCTAssertTrue(model.config.qkvBias)
        // it was trained: every weight it shares with the shipped model moved
        let before = Dictionary(uniqueKeysWithValues: shipped.namedParameters().map { ($0.name, $0.tensor) })
        let shared = model.namedParameters().filter { before[$0.name] != nil }
        XCTAssertEqual(shared.count, before.count)
        XCTAssertEqual(shared.filter { $0.tensor.data == before[$0.name]!.data }.map(\.name), [], "unchanged by 20 AdamW steps")
    }
}
