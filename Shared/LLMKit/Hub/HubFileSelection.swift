// Which files of a Hub repository the course needs: the configuration, the tokenizer files
// that exist, and the weights as safetensors (one file, or the shards an index lists).
// Everything else a repository may hold (PyTorch `.bin` weights, ONNX or GGUF exports, images)
// is left on the Hub.

import Foundation

/// The files to fetch from a repository, chosen from the names the Hub lists.
///
///     let chosen = try HubFileSelection(repository: "Qwen/Qwen2.5-0.5B-Instruct",
///                                       files: ["config.json", "model.safetensors", "README.md", "merges.txt"])
///     chosen.small     // ["config.json", "merges.txt"]
///     chosen.weights   // ["model.safetensors"]
public struct HubFileSelection: Equatable {
    /// The configuration files, fetched when the repository has them (`config.json` must be there).
    public static let configurationFiles = ["config.json", "generation_config.json"]
    /// The tokenizer files, fetched when the repository has them.
    public static let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json",
                                        "vocab.json", "merges.txt", "tokenizer.model"]
    /// The index of sharded weights.
    public static let indexFile = "model.safetensors.index.json"

    /// Configuration and tokenizer files, in the order above.
    public let small: [String]
    /// `model.safetensors.index.json` when the weights are sharded.
    public let index: String?
    /// `model.safetensors`, or nothing yet when the weights are sharded (the shards come from
    /// the index, see `shards(index:)`).
    public let weights: [String]

    /// Chooses from `files`, the repository's file names (`siblings[].rfilename` of the Hub's API).
    public init(repository: String, files: [String]) throws {
        let present = Set(files)
        guard present.contains("config.json") else {
            throw HubError("\(repository) has no config.json, so it is not a model transformers (or this course) can load",
                           hint: "its files: \(HubFileSelection.listing(files))")
        }
        small = (HubFileSelection.configurationFiles + HubFileSelection.tokenizerFiles).filter(present.contains)
        if present.contains(HubFileSelection.indexFile) {
            index = HubFileSelection.indexFile
            weights = []
        } else if present.contains("model.safetensors") {
            index = nil
            weights = ["model.safetensors"]
        } else {
            throw HubError("\(repository) has no safetensors weights (model.safetensors or model.safetensors.index.json)",
                           hint: "the course reads only safetensors; its files: \(HubFileSelection.listing(files))")
        }
    }

    /// The shard files a `model.safetensors.index.json` names in its `weight_map`, sorted, each
    /// checked to be a plain file name that the repository lists.
    public static func shards(index data: Data, repository: String, files: [String]) throws -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = object["weight_map"] as? [String: Any] else {
            throw HubError("\(repository)/\(indexFile): not a JSON object with a weight_map")
        }
        let names = Set(map.values.compactMap { $0 as? String }).sorted()
        guard !names.isEmpty, names.count == Set(map.values.map { "\($0)" }).count else {
            throw HubError("\(repository)/\(indexFile): weight_map must map tensor names to file names")
        }
        let present = Set(files)
        for name in names {
            guard !name.contains("/"), !name.hasPrefix("."), name.hasSuffix(".safetensors") else {
                throw HubError("\(repository)/\(indexFile): names the shard \(name), which is not a .safetensors file beside it")
            }
            guard present.contains(name) else {
                throw HubError("\(repository)/\(indexFile): names the shard \(name), which the repository does not have")
            }
        }
        return names
    }

    /// At most 12 names, for a message.
    static func listing(_ files: [String]) -> String {
        let sorted = files.sorted()
        return sorted.prefix(12).joined(separator: ", ") + (sorted.count > 12 ? ", … (\(sorted.count) in all)" : "")
    }
}
