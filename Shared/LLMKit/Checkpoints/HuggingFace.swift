// Loading Hugging Face checkpoints: a directory with `config.json` and `model.safetensors`
// (or its shards and their index), as `save_pretrained` writes them.

import Foundation
import TensorKit

/// A model directory: its config as JSON and its weights.
public struct HuggingFaceCheckpoint {
    public let directory: URL
    public let config: [String: Any]
    public let weights: CheckpointWeights
    var configPath: String { directory.appendingPathComponent("config.json").path }

    public init(directory: URL) throws {
        self.directory = directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InputError(path: directory.path, problem: "is not a directory",
                                  hint: "pass a model directory holding config.json and model.safetensors")
        }
        let configURL = directory.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: configURL.path) else {
            throw InputError(path: configURL.path, problem: "not found", hint: "a Hugging Face model directory has a config.json")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let config = object as? [String: Any] else {
            throw InputError(path: configURL.path, problem: "is not a JSON object")
        }
        self.config = config
        weights = try CheckpointWeights(directory: directory)
    }

    /// The first architecture named in the config (`GPT2LMHeadModel`, `LlamaForCausalLM`, …).
    public var architecture: String? { (config["architectures"] as? [String])?.first }

    /// An integer field of the config, or an error naming it.
    public func int(_ key: String, default value: Int? = nil) throws -> Int {
        if let n = config[key] as? NSNumber, !isJSONBoolean(n), n.doubleValue == n.doubleValue.rounded() { return n.intValue }
        if config[key] == nil || config[key] is NSNull, let value { return value }
        throw InputError(path: configPath, problem: "field \(key) is missing or not an integer")
    }

    /// A number field of the config, or an error naming it.
    public func float(_ key: String, default value: Float? = nil) throws -> Float {
        if let n = config[key] as? NSNumber { return n.floatValue }
        if config[key] == nil || config[key] is NSNull, let value { return value }
        throw InputError(path: configPath, problem: "field \(key) is missing or not a number")
    }

    /// A string field of the config.
    public func string(_ key: String, default value: String? = nil) throws -> String {
        if let s = config[key] as? String { return s }
        if config[key] == nil || config[key] is NSNull, let value { return value }
        throw InputError(path: configPath, problem: "field \(key) is missing or not a string")
    }

    /// A boolean field of the config.
    public func bool(_ key: String, default value: Bool) -> Bool {
        (config[key] as? Bool) ?? value
    }

    /// The tensor stored under the first of `names` that exists, checked against `shape`.
    public func tensor(_ names: [String], shape: [Int]) throws -> Tensor {
        guard let name = names.first(where: { weights.info($0) != nil }) else {
            throw InputError(path: weights.url.path, problem: "has no tensor \(names.joined(separator: " or "))",
                                  hint: "is this checkpoint the architecture its config.json says?")
        }
        let t = try weights.tensor(name)
        guard t.shape == shape else {
            throw InputError(path: weights.file(containing: name)!.url.path, problem: "tensor \(name) has shape \(describeShape(t.shape)), expected \(describeShape(shape))",
                                  hint: "config.json and the weights do not fit together")
        }
        return t
    }
}

/// True if `number` was a JSON `true` or `false`. (`number is Bool` cannot tell: on Linux it
/// is also true for the numbers 0 and 1, so `"num_key_value_heads": 1` would look like a flag.)
func isJSONBoolean(_ number: NSNumber) -> Bool {
    String(cString: number.objCType) == "c"
}
