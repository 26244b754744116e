import Foundation
import TestSupport
import XCTest
@testable import LLMKit
import TensorKit

/// Qwen2, Qwen3, Llama 3 and Gemma against Hugging Face transformers: tiny random models
/// (Tests/Fixtures/hf, made by make_fixtures_hf.py) whose norms and biases are pushed away
/// from 1 and 0 so that each one matters.
final class LlamaFamilyReferenceTests: XCTestCase {
    /// Loads `fixture`, runs it on the fixture's ids and compares the logits with transformers'.
    @discardableResult
    func checkLogits(_ fixture: String, relative: Float = 1e-4) throws -> LlamaModel {
        let model = try LlamaModel.load(huggingFace: fixtureURL("hf/" + fixture))
        let expected = try SafeTensorsFile(contentsOf: fixtureURL("hf/\(fixture)/expected.safetensors"))
        let (shape, ids) = try expected.integers("input_ids")
        let logits = withNoGrad { model(ids, shape: shape) }                     // (B, T, V)
        assertMatchesReference("\(fixture) logits", logits, try expected.tensor("logits"), relative: relative)
        return model
    }

    /// The largest difference between `model`'s logits and the fixture's, relative to the largest.
    func relativeError(_ model: LlamaModel, _ fixture: String) throws -> Float {
        let expected = try SafeTensorsFile(contentsOf: fixtureURL("hf/\(fixture)/expected.safetensors"))
        let (shape, ids) = try expected.integers("input_ids")
        let got = withNoGrad { model(ids, shape: shape) }.data, want = try expected.tensor("logits").data
        return zip(got, want).map { abs($0 - $1) }.max()! / want.map(abs).max()!
    }

    func testQwen2() throws {
        let model = try checkLogits("qwen2-tiny")
        XCTAssertTrue(model.config.qkvBias)
        XCTAssertNotNil(model.layers[0].attention.qProj.bias)
        XCTAssertNil(model.layers[0].attention.oProj.bias)
        XCTAssertFalse(model.lmHead.weight === model.embedTokens.weight, "Qwen2's head is its own")
        XCTAssertEqual(model.config.ropeTheta, 1_000_000)
    }

    /// bfloat16 weights, widened to float32 as they are read: float32 computation on the
    /// bf16-rounded weights, which is what the fixture's logits are.
    func testQwen2BFloat16() throws {
        let checkpoint = try HuggingFaceCheckpoint(directory: fixtureURL("hf/qwen2-tiny-bf16"))
        XCTAssertEqual(checkpoint.dtype, "bfloat16")
        XCTAssertEqual(checkpoint.weights.info("model.embed_tokens.weight")?.dtype, .BF16)
        try checkLogits("qwen2-tiny-bf16", relative: 1e-5)
    }

    func testQwen3() throws {
        let model = try checkLogits("qwen3-tiny")
        XCTAssertEqual(model.config.headDim, 24, "head_dim is not hidden / heads (64 / 4)")
        XCTAssertTrue(model.config.qkNorm)
        XCTAssertEqual(model.layers[0].attention.qNorm?.weight.shape, [24])
        XCTAssertTrue(model.lmHead.weight === model.embedTokens.weight, "Qwen3-tiny ties its head")
        // the per-head norms matter: without them the logits are far off
        let unnormed = LlamaModel(model.config.with { $0.qkNorm = false }, generator: TorchGenerator(seed: 0))
        try unnormed.load(model.stateDict(), strict: false)
        XCTAssertGreaterThan(try relativeError(unnormed, "qwen3-tiny"), 1e-2)
    }

    func testLlama3() throws {
        let model = try checkLogits("llama3-tiny")
        XCTAssertEqual(model.config.ropeScaling, Llama3RopeScaling(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalContext: 32))
        XCTAssertTrue(model.lmHead.weight === model.embedTokens.weight)
        // θᵢ = 500000^(−i/8): wavelength 2π/θ₀ ≈ 6.3 is under 32/4 and kept; from i = 1 on
        // (≈ 32.4) they are over 32 and divided by 8
        let plain = RotaryEmbedding(headDim: 16, base: 500_000).inverseFrequencies
        let scaled = model.layers[0].attention.rope!.inverseFrequencies
        XCTAssertEqual(scaled[0], plain[0])
        XCTAssertEqual(Array(scaled[1...]), plain[1...].map { $0 / 8 })
        // and the scaling matters for the logits
        let unscaled = LlamaModel(model.config.with { $0.ropeScaling = nil }, generator: TorchGenerator(seed: 0))
        try unscaled.load(model.stateDict())
        XCTAssertGreaterThan(try relativeError(unscaled, "llama3-tiny"), 1e-3)
    }

    /// The "llama3" frequencies against transformers' own function on Llama 3.2 1B's and 3.1
    /// 8B's settings and one with many blended frequencies (rope-llama3.json).
    func testLlama3Frequencies() throws {
        let url = fixtureURL("hf/rope-llama3/rope-llama3.json")
        let cases = (try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any])["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 3)
        var blended = 0
        for c in cases {
            let headDim = c["head_dim"] as! Int
            let scaling = Llama3RopeScaling(factor: (c["factor"] as! NSNumber).floatValue, lowFrequencyFactor: (c["low"] as! NSNumber).floatValue,
                                            highFrequencyFactor: (c["high"] as! NSNumber).floatValue, originalContext: c["original"] as! Int)
            let base = (c["rope_theta"] as! NSNumber).floatValue
            let want = (c["inv_freq_bits"] as! [Int]).map { Float(bitPattern: UInt32($0)) }
            let plain = RotaryEmbedding(headDim: headDim, base: base).inverseFrequencies
            let got = RotaryEmbedding(headDim: headDim, base: base, scaling: scaling).inverseFrequencies
            XCTAssertEqual(got.count, want.count)
            for (i, (g, w)) in zip(got, want).enumerated() {
                XCTAssertTrue(g.isFinite)
                XCTAssertEqual(g, w, accuracy: 2 * w.ulp, "head_dim \(headDim), θ\(i)")   // bit for bit on Linux; the platform's powf may differ by an ulp
                if w != plain[i] && abs(w - plain[i] / scaling.factor) > 2 * w.ulp { blended += 1 }
            }
        }
        XCTAssertGreaterThan(blended, 5, "the cases cover the blended band")
    }

    func testGemma() throws {
        let model = try checkLogits("gemma-tiny")
        XCTAssertEqual(model.config.embeddingScale, 8)                            // √64
        XCTAssertTrue(model.config.rmsNormUnitOffset)
        XCTAssertEqual(model.config.activation, .geluTanh)
        XCTAssertEqual(model.config.headDim, 16)
        XCTAssertTrue(model.lmHead.weight === model.embedTokens.weight)
        // the √d scale matters
        let unscaled = LlamaModel(model.config.with { $0.embeddingScale = nil }, generator: TorchGenerator(seed: 0))
        try unscaled.load(model.stateDict())
        XCTAssertGreaterThan(try relativeError(unscaled, "gemma-tiny"), 1e-2)
    }

    /// Greedy generation of a tiny Qwen2 (tied head) on five chat prompts, with and without the
    /// KV cache, token for token as transformers' `generate(do_sample=False)` (qwen2-chat/greedy.json).
    func testQwen2GreedyGeneration() throws {
        let model = try LlamaModel.load(huggingFace: fixtureURL("hf/qwen2-chat"))
        let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtureURL("hf/qwen2-chat/greedy.json"))) as! [[String: Any]]
        XCTAssertEqual(cases.count, 5)
        for (i, c) in cases.enumerated() {
            let prompt = c["prompt_ids"] as! [Int], want = c["new_ids"] as! [Int]
            XCTAssertEqual(generate(model, prompt: prompt, maxNewTokens: want.count), want, "case \(i), cached")
            XCTAssertEqual(generate(model, prompt: prompt, maxNewTokens: want.count, useCache: false), want, "case \(i), without cache")
        }
    }

    /// The config fields as the Hub writes them: `rope_theta` + `rope_scaling`, `torch_dtype`,
    /// `head_dim`, `tie_word_embeddings`, and transformers' per-architecture defaults when a
    /// field is missing.
    func testConfigFieldsAndDefaults() throws {
        let directory = try copyFixture("qwen3-tiny")
        defer { try? FileManager.default.removeItem(at: directory) }
        try editConfig(directory) { c in
            c["head_dim"] = nil; c["tie_word_embeddings"] = nil; c["rope_theta"] = nil; c["torch_dtype"] = nil; c["dtype"] = "float32"
            c["num_key_value_heads"] = 1                                   // multi-query, as Gemma 2B: a 1, not a true
        }
        let config = try LlamaConfig(huggingFace: HuggingFaceCheckpoint(directory: directory))
        XCTAssertEqual(config.numKVHeads, 1)
        XCTAssertEqual(config.headDim, 128, "Qwen3Config's default head_dim")
        XCTAssertFalse(config.tieWordEmbeddings, "Qwen3Config's default")
        XCTAssertEqual(config.ropeTheta, 10000)
        XCTAssertEqual(try HuggingFaceCheckpoint(directory: directory).dtype, "float32")

        try editConfig(directory) { c in
            c["architectures"] = nil; c["model_type"] = "gemma"
            c["rope_parameters"] = ["rope_theta": 20000.0, "rope_type": "default"]
        }
        let gemma = try LlamaConfig(huggingFace: HuggingFaceCheckpoint(directory: directory))
        XCTAssertEqual(gemma.headDim, 256, "GemmaConfig's default head_dim, found by model_type")
        XCTAssertTrue(gemma.tieWordEmbeddings)
        XCTAssertEqual(gemma.ropeTheta, 20000, "transformers 5's rope_parameters")
    }

    /// Options the course does not implement are refused by name.
    func testRefusals() throws {
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("qwen2-tiny", { $0["architectures"] = ["Phi3ForCausalLM"]; $0["model_type"] = "phi3" },
             "architecture Phi3ForCausalLM and model_type phi3 is not one the course implements"),
            ("qwen2-tiny", { $0["architectures"] = nil; $0["model_type"] = nil }, "names no architecture and no model_type"),
            ("llama3-tiny", { $0["rope_scaling"] = ["rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32] },
             "rope_scaling type \"yarn\" is not implemented"),
            ("llama3-tiny", { $0["rope_scaling"] = ["type": "dynamic", "factor": 2.0] }, "rope_scaling type \"dynamic\" is not implemented"),
            ("llama3-tiny", { $0["rope_scaling"] = ["rope_type": "llama3", "factor": 8.0] }, "rope_scaling.low_freq_factor is missing"),
            ("gemma-tiny", { $0["attn_logit_softcapping"] = 50.0 }, "attn_logit_softcapping is set"),
            ("gemma-tiny", { $0["final_logit_softcapping"] = 30.0 }, "final_logit_softcapping is set"),
            ("qwen2-tiny", { $0["quantization_config"] = ["quant_method": "gptq", "bits": 4] }, "quantization_config (gptq) is set"),
            ("qwen2-tiny", { $0["hidden_act"] = "relu2" }, "hidden_act \"relu2\" is not implemented"),
            ("qwen2-tiny", { $0["torch_dtype"] = "float8_e4m3fn" }, "torch_dtype float8_e4m3fn is not one the course reads"),
            ("qwen2-tiny", { $0["layer_types"] = ["full_attention", "linear_attention"] }, "layer_types holds \"linear_attention\""),
            ("qwen2-tiny", { $0["partial_rotary_factor"] = 0.5 }, "partial_rotary_factor is 0.5"),
            ("qwen3-tiny", { $0["attention_bias"] = true }, "attention_bias is true"),
            ("llama3-tiny", { $0["mlp_bias"] = true }, "mlp_bias is true"),
            ("gemma-tiny", { $0["use_bidirectional_attention"] = true }, "use_bidirectional_attention is true"),
            ("qwen2-tiny", { $0["architectures"] = ["LlamaForCausalLM"]; $0["model_type"] = "llama" },
             "holds 6 tensors the model config.json describes has no place for: model.layers.0.self_attn.k_proj.bias"),
        ]
        for (fixture, edit, message) in cases {
            let directory = try copyFixture(fixture)
            defer { try? FileManager.default.removeItem(at: directory) }
            try editConfig(directory, edit)
            XCTAssertThrowsError(try LoadedModel.load(huggingFace: directory), message) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(message), "expected \"\(message)\" in: \(text)")
                XCTAssertTrue(text.contains("config.json"), "the error names the file: \(text)")
            }
        }
    }

    /// A sliding window changes nothing while the sequence fits in it; a longer one is refused.
    func testSlidingWindow() throws {
        let directory = try copyFixture("qwen2-tiny")
        defer { try? FileManager.default.removeItem(at: directory) }
        try editConfig(directory) { c in
            c["use_sliding_window"] = true; c["sliding_window"] = 11; c["layer_types"] = ["full_attention", "sliding_attention"]
        }
        let loaded = try LoadedModel.load(huggingFace: directory)
        guard case .llama(let model) = loaded else { return XCTFail("not the Llama family") }
        XCTAssertEqual(model.config.slidingWindow, 11)
        XCTAssertEqual(model.contextLength, 11)
        let expected = try SafeTensorsFile(contentsOf: fixtureURL("hf/qwen2-tiny/expected.safetensors"))
        let (shape, ids) = try expected.integers("input_ids")
        XCTAssertEqual(shape, [2, 11])
        assertMatchesReference("windowed logits", try loaded.forward(ids, shape: shape), try expected.tensor("logits"))
        XCTAssertThrowsError(try loaded.forward(Array(repeating: 1, count: 12), shape: [1, 12])) { error in
            XCTAssertTrue("\(error)".contains("12 tokens exceed the model's sliding window of 11"), "\(error)")
        }
        // use_sliding_window false: the window is not used, as in transformers
        try editConfig(directory) { c in c["use_sliding_window"] = false }
        XCTAssertNil(try LlamaConfig(huggingFace: HuggingFaceCheckpoint(directory: directory)).slidingWindow)
    }

    // MARK: - Helpers

    /// A copy of Tests/Fixtures/hf/`fixture` in a new temporary directory.
    func copyFixture(_ fixture: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(fixture)-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: fixtureURL("hf/" + fixture), to: directory)
        return directory
    }

    /// Rewrites `directory/config.json` through `edit`.
    func editConfig(_ directory: URL, _ edit: (inout [String: Any]) -> Void) throws {
        let url = directory.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]).write(to: url)
    }
}

extension LlamaConfig {
    /// A copy with `change` applied.
    func with(_ change: (inout LlamaConfig) -> Void) -> LlamaConfig {
        var copy = self
        change(&copy)
        return copy
    }
}
