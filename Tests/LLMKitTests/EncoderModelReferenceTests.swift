import Foundation
import TestSupport
import XCTest
@testable import LLMKit
import TensorKit

/// BERT (encoder-only) and Marian (encoder–decoder) against Hugging Face transformers.
final class EncoderModelReferenceTests: XCTestCase {
    func testBert() throws {
        let model = try BertModel.load(huggingFace: fixtureURL("bert-tiny"))
        model.eval()
        let expected = try SafeTensorsFile(contentsOf: fixtureURL("bert-tiny/expected.safetensors"))
        let (shape, ids) = try expected.integers("input_ids")
        var states: [Tensor] = []
        let last = withNoGrad { model(ids, shape: shape, trace: { states.append($0) }) }
        assertMatchesReference("bert last_hidden_state", last, try expected.tensor("last_hidden_state"))
        XCTAssertEqual(states.count, 3)
        for (i, h) in states.enumerated() { assertMatchesReference("bert hidden_states.\(i)", h, try expected.tensor("hidden_states.\(i)")) }
    }

    func testMarian() throws {
        let model = try MarianModel.load(huggingFace: fixtureURL("marian-tiny"))
        model.eval()
        let expected = try SafeTensorsFile(contentsOf: fixtureURL("marian-tiny/expected.safetensors"))
        let (sourceShape, source) = try expected.integers("input_ids")
        let (targetShape, target) = try expected.integers("decoder_input_ids")
        var states: [Tensor] = []
        let (memory, logits) = withNoGrad { () -> (Tensor, Tensor) in
            let memory = model.encode(source, shape: sourceShape)
            return (memory, model.logits(model.decode(target, shape: targetShape, memory: memory, trace: { states.append($0) })))
        }
        assertMatchesReference("marian encoder_last_hidden_state", memory, try expected.tensor("encoder_last_hidden_state"))
        assertMatchesReference("marian logits", logits, try expected.tensor("logits"))
        for (i, h) in states.enumerated() { assertMatchesReference("marian hidden_states.\(i)", h, try expected.tensor("hidden_states.\(i)")) }
    }

    func testEncoderDecoderGradients() {
        // GELU, not ReLU: a finite difference across ReLU's kink at 0 is not its derivative
        let encoder = EncoderLayer(dModel: 8, heads: 2, ffn: 12, activation: .gelu, generator: TorchGenerator(seed: 1))
        let decoder = DecoderLayer(dModel: 8, heads: 2, ffn: 12, activation: .gelu, generator: TorchGenerator(seed: 2))
        let source = TorchGenerator(seed: 3).randn([2, 4, 8]), target = TorchGenerator(seed: 4).randn([2, 3, 8])
        gradCheck("EncoderLayer", [source] + encoder.parameters) { t in encoder(t[0]) }
        gradCheck("DecoderLayer", [target, source] + decoder.parameters) { t in decoder(t[0], memory: t[1]) }
    }

    func testBertPaddingMaskIgnoresPadding() throws {
        let model = try BertModel.load(huggingFace: fixtureURL("bert-tiny"))
        let short = withNoGrad { model([5, 6, 7], shape: [1, 3]) }
        let padded = withNoGrad { model([5, 6, 7, 0, 0], shape: [1, 5], attentionMask: [1, 1, 1, 0, 0]) }
        let realPart = padded.slice(1, 0, 3)
        assertClose(realPart, short, absolute: 1e-5)
    }
}
