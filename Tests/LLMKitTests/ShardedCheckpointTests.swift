import Foundation
import TestSupport
import XCTest
@testable import LLMKit
import TensorKit

/// Sharded checkpoints (`model.safetensors.index.json` + shards): a tiny model split into three
/// shards here, in a temporary directory, as `save_pretrained` splits a large one.
final class ShardedCheckpointTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sharded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes `fixture`'s weights into `shards` files named as transformers names them, each
    /// tensor in shard (its position in name order) mod `shards`, with the index and config.json.
    /// Returns the weight map.
    @discardableResult
    func shard(_ fixture: String, into shards: Int) throws -> [String: String] {
        let source = fixtureURL("hf/" + fixture)
        let file = try SafeTensorsFile(contentsOf: source.appendingPathComponent("model.safetensors"))
        var map: [String: String] = [:], contents = Array(repeating: [String: Tensor](), count: shards)
        for (i, name) in file.names.enumerated() {
            let shard = i % shards
            map[name] = String(format: "model-%05d-of-%05d.safetensors", shard + 1, shards)
            contents[shard][name] = try file.tensor(name)
        }
        for (shard, tensors) in contents.enumerated() {
            try SafeTensors.write(tensors, metadata: ["format": "pt"],
                                  to: directory.appendingPathComponent(String(format: "model-%05d-of-%05d.safetensors", shard + 1, shards)))
        }
        try writeIndex(map)
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: directory.appendingPathComponent("config.json"))
        return map
    }

    func writeIndex(_ map: [String: String]) throws {
        let index: [String: Any] = ["metadata": ["total_size": 0], "weight_map": map]
        try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys])
            .write(to: directory.appendingPathComponent("model.safetensors.index.json"))
    }

    /// The error loading `directory` throws, as text.
    func loadError() -> String {
        do {
            _ = try LoadedModel.load(huggingFace: directory)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    /// Three shards give the same weights and the same logits as the single file, bit for bit.
    func testShardsLoadAsOneFile() throws {
        let map = try shard("qwen2-tiny", into: 3)
        XCTAssertEqual(Set(map.values).count, 3)
        let sharded = try LlamaModel.load(huggingFace: directory)
        let single = try LlamaModel.load(huggingFace: fixtureURL("hf/qwen2-tiny"))
        let weights = try HuggingFaceCheckpoint(directory: directory).weights
        XCTAssertEqual(weights.files.count, 3)
        XCTAssertEqual(weights.url.lastPathComponent, "model.safetensors.index.json")
        let singleParameters = Dictionary(uniqueKeysWithValues: single.namedParameters().map { ($0.name, $0.tensor) })
        for (name, p) in sharded.namedParameters() {
            XCTAssertEqual(p.data, singleParameters[name]!.data, name)
        }
        let expected = try SafeTensorsFile(contentsOf: fixtureURL("hf/qwen2-tiny/expected.safetensors"))
        let (shape, ids) = try expected.integers("input_ids")
        let logits = withNoGrad { sharded(ids, shape: shape) }
        XCTAssertEqual(logits.data, withNoGrad { single(ids, shape: shape) }.data)
        assertMatchesReference("sharded qwen2-tiny logits", logits, try expected.tensor("logits"))
    }

    /// Shards as transformers writes them (`save_pretrained(max_shard_size="150KB")`, in
    /// Tests/Fixtures/hf/qwen3-tiny-sharded): the same weights as the single file, bit for bit.
    func testShardsTransformersWrote() throws {
        let sharded = try LlamaModel.load(huggingFace: fixtureURL("hf/qwen3-tiny-sharded"))
        XCTAssertEqual(try HuggingFaceCheckpoint(directory: fixtureURL("hf/qwen3-tiny-sharded")).weights.files.count, 3)
        let single = Dictionary(uniqueKeysWithValues: try LlamaModel.load(huggingFace: fixtureURL("hf/qwen3-tiny")).namedParameters().map { ($0.name, $0.tensor) })
        XCTAssertEqual(sharded.namedParameters().count, single.count)
        for (name, p) in sharded.namedParameters() { XCTAssertEqual(p.data, single[name]?.data, name) }
        let expected = try SafeTensorsFile(contentsOf: fixtureURL("hf/qwen3-tiny-sharded/expected.safetensors"))
        let (shape, ids) = try expected.integers("input_ids")
        assertMatchesReference("transformers' shards, logits", withNoGrad { sharded(ids, shape: shape) }, try expected.tensor("logits"))
    }

    func testMissingShardIsNamed() throws {
        try shard("qwen3-tiny", into: 2)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("model-00002-of-00002.safetensors"))
        let error = loadError()
        XCTAssertTrue(error.contains("model-00002-of-00002.safetensors: not found"), error)
        XCTAssertTrue(error.contains("model.safetensors.index.json places"), error)
    }

    func testTensorMissingFromItsShardIsNamed() throws {
        var map = try shard("qwen3-tiny", into: 2)
        let name = "model.norm.weight"
        map[name] = map[name] == "model-00001-of-00002.safetensors" ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors"
        try writeIndex(map)
        let error = loadError()
        XCTAssertTrue(error.contains("\(map[name]!): has no tensor model.norm.weight, which model.safetensors.index.json places in it"), error)
    }

    func testTensorMissingFromTheIndexIsNamed() throws {
        var map = try shard("gemma-tiny", into: 2)
        map["model.layers.1.mlp.up_proj.weight"] = nil
        try writeIndex(map)
        let error = loadError()
        XCTAssertTrue(error.contains("model.safetensors.index.json: has no tensor model.layers.1.mlp.up_proj.weight"), error)
    }

    func testBadIndexIsNamed() throws {
        try shard("gemma-tiny", into: 2)
        try Data("{\"metadata\": {}}".utf8).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
        XCTAssertTrue(loadError().contains("model.safetensors.index.json: is not a JSON object with a \"weight_map\" object"), loadError())
        try writeIndex(["model.norm.weight": "../elsewhere.safetensors"])
        XCTAssertTrue(loadError().contains("not a file name in the model's directory"), loadError())
    }

    func testNoWeightsAtAll() throws {
        try FileManager.default.copyItem(at: fixtureURL("hf/gemma-tiny/config.json"), to: directory.appendingPathComponent("config.json"))
        let error = loadError()
        XCTAssertTrue(error.contains("model.safetensors: not found, and no model.safetensors.index.json either"), error)
        try Data().write(to: directory.appendingPathComponent("pytorch_model.bin"))
        XCTAssertTrue(loadError().contains("the directory has pytorch_model.bin: PyTorch pickles are not read"), loadError())
    }
}
