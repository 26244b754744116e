// Half precision kept as half precision: a bfloat16 checkpoint read in place (memory-mapped,
// no float32 copy of its matrices) gives transformers' logits, and packing a float32 model
// to bfloat16, float16 or int8 gives logits within the rounding of its weights.

import Foundation
import LLMKit
@testable import TensorKit
import TestSupport
import XCTest

final class HalfPrecisionTests: XCTestCase {
    /// qwen2-tiny-bf16 with `keepsHalfPrecision`: every matrix stays bfloat16 in the mapped
    /// file, vectors are float32, and the logits are the fixture's (float32 computation on the
    /// bfloat16 weights, by transformers) within 1e-5 of the largest.
    func testBFloat16CheckpointReadInPlaceGivesTransformersLogits() throws {
        let directory = fixtureURL("hf/qwen2-tiny-bf16")
        let model = try CheckpointWeights.$keepsHalfPrecision.withValue(true) {
            try LlamaModel.load(huggingFace: directory)
        }
        var matrices = 0
        for (name, p) in model.namedParameters() {
            if p.rank == 2 {
                XCTAssertEqual(p.storage.form, .bfloat16, "\(name) should stay bfloat16")
                matrices += 1
            } else {
                XCTAssertEqual(p.storage.form, .float32, "\(name) is a vector: widened")
            }
        }
        XCTAssertGreaterThan(matrices, 10)
        let expected = try SafeTensorsFile(contentsOf: fixtureURL("hf/qwen2-tiny-bf16/expected.safetensors"))
        let (shape, ids) = try expected.integers("input_ids")
        let logits = withNoGrad { model(ids, shape: shape) }                       // (B, T, V)
        assertMatchesReference("qwen2-tiny-bf16 in place", logits, try expected.tensor("logits"), relative: 1e-5)
        // and loading without the option widens everything, with the same logits
        let widened = try LlamaModel.load(huggingFace: directory)
        XCTAssertTrue(widened.parameters.allSatisfy { $0.storage.form == .float32 })
        assertMatchesReference("widened vs in place", withNoGrad { widened(ids, shape: shape) }, logits, relative: 1e-5)
    }

    /// Packing the float32 qwen2-tiny: bfloat16 replaces each matrix's storage (half the
    /// bytes) and the logits move by about bfloat16's rounding. Measured (largest difference
    /// relative to the largest logit): bfloat16 2.7e-3, float16 3.3e-4, int8 9.8e-3; each bound
    /// is about 3× its measured error.
    func testPackedFloat32ModelStaysCloseToFloat32() throws {
        let directory = fixtureURL("hf/qwen2-tiny")
        let expected = try SafeTensorsFile(contentsOf: fixtureURL("hf/qwen2-tiny/expected.safetensors"))
        let (shape, ids) = try expected.integers("input_ids")
        let reference = try expected.tensor("logits")
        for (format, bound) in [(PackedFormat.bfloat16, Float(1e-2)), (.float16, 1e-3), (.int8, 3e-2)] {
            let model = try LlamaModel.load(huggingFace: directory)
            let before = model.weightBytes
            model.packWeights(format)
            let linears = model.namedModules().compactMap { $0.module as? Linear }
            XCTAssertTrue(linears.allSatisfy { $0.packed?.format == format })
            if format != .int8 {
                XCTAssertTrue(linears.allSatisfy { $0.weight.storage.form != .float32 }, "\(format): float32 storage given back")
            }
            XCTAssertLessThan(model.weightBytes, before)
            let logits = withNoGrad { model(ids, shape: shape) }
            let got = logits.data, want = reference.data
            XCTAssertFalse(got.contains { !$0.isFinite }, "\(format): NaN or infinity in the logits")
            let error = zip(got, want).map { abs($0 - $1) }.max()! / want.map(abs).max()!
            XCTAssertLessThan(error, bound, "\(format): largest logit difference relative to the largest logit")
            XCTAssertGreaterThan(error, 0, "\(format): rounding must move the logits at all (else nothing was packed)")
        }
    }
}
