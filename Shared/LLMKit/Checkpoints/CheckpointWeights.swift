// The weights of a model directory: one `model.safetensors`, or — for a model larger than
// `save_pretrained`'s shard size — several files and an index that says which tensor is in
// which (`model.safetensors.index.json`, its `weight_map`). Every shard is memory-mapped; a
// tensor is read from its own shard only when asked for.

import Foundation
import TensorKit

/// The safetensors files of a Hugging Face model directory, read as one.
///
///     let weights = try CheckpointWeights(directory: URL(fileURLWithPath: "Qwen2.5-7B"))
///     let embedding = try weights.tensor("model.embed_tokens.weight")
public final class CheckpointWeights {
    /// What a missing tensor is reported against: model.safetensors, or the index of the shards.
    public let url: URL
    /// The files, in the order of their names (one for an unsharded model).
    public let files: [SafeTensorsFile]
    /// Which file holds each tensor.
    private let fileIndex: [String: Int]

    /// The file name of an unsharded model and of a sharded model's index.
    public static let singleFileName = "model.safetensors", indexFileName = "model.safetensors.index.json"

    /// Opens `directory/model.safetensors`, or else every shard `model.safetensors.index.json`
    /// lists (checking that each exists and holds the tensors the index places in it).
    public init(directory: URL) throws {
        let fm = FileManager.default
        let single = directory.appendingPathComponent(Self.singleFileName)
        let index = directory.appendingPathComponent(Self.indexFileName)
        if fm.fileExists(atPath: single.path) {
            let file = try openSafeTensors(single)
            url = single
            files = [file]
            fileIndex = Dictionary(uniqueKeysWithValues: file.names.map { ($0, 0) })
            return
        }
        guard fm.fileExists(atPath: index.path) else {
            let pickle = ["pytorch_model.bin", "pytorch_model.bin.index.json"].first { fm.fileExists(atPath: directory.appendingPathComponent($0).path) }
            throw InputError(path: single.path, problem: "not found, and no \(Self.indexFileName) either",
                             hint: pickle.map { "the directory has \($0): PyTorch pickles are not read; save the model with safetensors (save_pretrained does by default)" }
                                ?? "a Hugging Face model directory holds model.safetensors or model.safetensors.index.json with its shards")
        }
        url = index
        let map = try readWeightMap(index)
        let shardNames = Set(map.values).sorted()
        var opened: [SafeTensorsFile] = []
        for name in shardNames {
            let shard = directory.appendingPathComponent(name)
            guard fm.fileExists(atPath: shard.path) else {
                let tensors = map.filter { $0.value == name }.keys.sorted()
                throw InputError(path: shard.path, problem: "not found",
                                 hint: "\(Self.indexFileName) places \(tensors.count) tensor\(tensors.count == 1 ? "" : "s") there (\(tensors.prefix(3).joined(separator: ", "))\(tensors.count > 3 ? ", …" : "")); download every shard")
            }
            opened.append(try openSafeTensors(shard))
        }
        let position = Dictionary(uniqueKeysWithValues: shardNames.enumerated().map { ($1, $0) })
        var fileIndex: [String: Int] = [:]
        for (tensor, name) in map.sorted(by: { $0.key < $1.key }) {
            let i = position[name]!
            guard opened[i].info(tensor) != nil else {
                throw InputError(path: opened[i].url.path, problem: "has no tensor \(tensor), which \(Self.indexFileName) places in it",
                                 hint: "the shard and the index come from different saves of the model")
            }
            fileIndex[tensor] = i
        }
        files = opened
        self.fileIndex = fileIndex
    }

    /// Every tensor name, sorted.
    public var names: [String] { fileIndex.keys.sorted() }

    /// The file holding `name`, or nil if no file does.
    public func file(containing name: String) -> SafeTensorsFile? {
        fileIndex[name].map { files[$0] }
    }

    /// The dtype, shape and place of `name`, or nil if there is none.
    public func info(_ name: String) -> SafeTensorsFile.Entry? {
        file(containing: name)?.info(name)
    }

    /// Whether loading keeps bfloat16 and float16 matrices as the file stores them, read in
    /// place from the memory-mapped file (no float32 copy), for inference. Linear layers then
    /// run on them directly (`PackedMatrix`), embeddings widen only the rows they look up;
    /// vectors (norms, biases) are widened as always. Off by default: training needs float32.
    ///
    ///     let model = try CheckpointWeights.$keepsHalfPrecision.withValue(true) {
    ///         try LoadedModel.load(huggingFace: directory)   // a bf16 model stays bf16 in memory
    ///     }
    @TaskLocal public static var keepsHalfPrecision = false

    /// The tensor `name`, widened to float32 — or, when `keepsHalfPrecision` is on, a 16-bit
    /// matrix as stored (the one place the course reads checkpoint weights).
    public func tensor(_ name: String) throws -> Tensor {
        guard let file = file(containing: name) else {
            throw InputError(path: url.path, problem: "has no tensor \(name)")
        }
        do {
            if Self.keepsHalfPrecision, let entry = file.info(name), entry.shape.count == 2,
               entry.dtype == .BF16 || entry.dtype == .F16 {
                return try file.tensorAsStored(name)   // (rows, columns), 16-bit, memory-mapped
            }
            return try file.tensor(name)
        } catch let error as SafeTensorsError {
            throw InputError(path: error.path, problem: error.problem, hint: error.hint)
        }
    }
}

/// Maps a safetensors file, its errors as `InputError`s.
private func openSafeTensors(_ url: URL) throws -> SafeTensorsFile {
    do {
        return try SafeTensorsFile(contentsOf: url)
    } catch let error as SafeTensorsError {
        throw InputError(path: error.path, problem: error.problem, hint: error.hint)
    }
}

/// The `weight_map` of an index: tensor name → shard file name (a plain name in the directory).
private func readWeightMap(_ index: URL) throws -> [String: String] {
    guard let data = FileManager.default.contents(atPath: index.path) else {
        throw InputError(path: index.path, problem: "cannot be read")
    }
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
          let map = object["weight_map"] as? [String: Any] else {
        throw InputError(path: index.path, problem: "is not a JSON object with a \"weight_map\" object",
                         hint: "an index looks like {\"metadata\": {…}, \"weight_map\": {\"model.norm.weight\": \"model-00001-of-00002.safetensors\", …}}")
    }
    var out: [String: String] = [:]
    for (tensor, value) in map {
        guard let file = value as? String, !file.isEmpty, !file.contains("/"), file != "..", file != "." else {
            throw InputError(path: index.path, problem: "weight_map gives tensor \(tensor) the file \(value), not a file name in the model's directory")
        }
        out[tensor] = file
    }
    if out.isEmpty { throw InputError(path: index.path, problem: "weight_map is empty") }
    return out
}
