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
        // Int(exactly:) refuses a fraction, and a number too large for an Int (1e300), which
        // NSNumber.intValue would not
        if let n = config[key] as? NSNumber, !isJSONBoolean(n), let integer = Int(exactly: n.doubleValue) { return integer }
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

    /// Checks config sizes before a model of those sizes is made: each at least `minimum`, or
    /// an `InputError` naming config.json and the field.
    ///
    ///     try checkpoint.requireSizes([("hidden_size", hidden), ("num_attention_heads", heads)])
    public func requireSizes(_ sizes: [(field: String, value: Int)], atLeast minimum: Int = 1) throws {
        for (field, value) in sizes where value < minimum {
            throw InputError(path: configPath, problem: "field \(field) is \(value); it must be at least \(minimum)")
        }
    }

    /// An `InputError` naming config.json, for a value the model cannot be made with.
    ///
    ///     throw checkpoint.configError("head_dim 7 is odd")   // …/config.json: head_dim 7 is odd
    public func configError(_ problem: String) -> InputError {
        InputError(path: configPath, problem: problem)
    }

    /// A boolean field of the config.
    public func bool(_ key: String, default value: Bool) -> Bool {
        (config[key] as? Bool) ?? value
    }

    /// The tensor stored under the first of `names` that exists, checked against `shape`.
    public func tensor(_ names: [String], shape: [Int]) throws -> Tensor {
        try weights.tensor(try checkShape(names, shape: shape))
    }

    /// The first of `names` that the weights hold, after checking (from the header alone) that
    /// its shape is `shape`; an `InputError` naming the weights file otherwise.
    ///
    ///     try checkpoint.checkShape(["model.embed_tokens.weight"], shape: [vocabulary, width])
    @discardableResult
    public func checkShape(_ names: [String], shape: [Int]) throws -> String {
        guard let name = names.first(where: { weights.info($0) != nil }), let info = weights.info(name) else {
            throw InputError(path: weights.url.path, problem: "has no tensor \(names.joined(separator: " or "))",
                                  hint: "is this checkpoint the architecture its config.json says?")
        }
        guard info.shape == shape else {
            throw InputError(path: weights.file(containing: name)!.url.path, problem: "tensor \(name) has shape \(describeShape(info.shape)), expected \(describeShape(shape))",
                                  hint: "config.json and the weights do not fit together")
        }
        return name
    }
}

/// True if `number` was a JSON `true` or `false`. (`number is Bool` cannot tell: on Linux it
/// is also true for the numbers 0 and 1, so `"num_key_value_heads": 1` would look like a flag.)
func isJSONBoolean(_ number: NSNumber) -> Bool {
    String(cString: number.objCType) == "c"
}
