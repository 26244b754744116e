// A fine-tuning checkpoint: the directory of a pre-training checkpoint (config.json,
// model.safetensors in GPT-2's layout, tokenizer.json, optimizer.safetensors, training.json)
// with the recipe in config.json under "course_finetune", a classifier's head beside the
// body's weights (`out_head.weight`, `out_head.bias`), and LoRA's A and B matrices in
// adapter.safetensors. Written complete under a temporary name, then renamed into place.

import Foundation
import TensorKit

/// training.json of a fine-tuning run.
public struct FineTuneState: Codable {
    public var recipe: FineTuneRecipe
    public var model: GPTConfig
    public var settings: TrainingSettings
    public var dataset: DatasetDescription
    public var tokenizer: String
    public var step: Int
    public var position: DataPosition
    public var dropoutGenerator: GeneratorState
    public var losses: [Float]
    public var evaluations: [Evaluation]

    /// Reads `directory/training.json`, or an error saying what the directory is not.
    public static func read(from directory: URL) throws -> FineTuneState {
        let url = directory.appendingPathComponent("training.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw InputError(path: url.path, problem: "not found",
                             hint: "--resume takes the --out directory of an earlier finetune run")
        }
        do { return try JSONDecoder().decode(FineTuneState.self, from: data) } catch {
            throw InputError(path: url.path, problem: "is not the state of a finetune run (\(error))",
                             hint: "a pre-training checkpoint is resumed without 'finetune'; to fine-tune from its weights use --init-from")
        }
    }
}

extension FineTuner {
    /// Writes a complete checkpoint of `model` (built by `FineTuneModel`) to `directory`,
    /// replacing one that is there.
    public func saveCheckpoint(to directory: URL, model prepared: FineTuneModel, recipe: FineTuneRecipe,
                               tokenizer: CheckpointTokenizer, dataset: DatasetDescription) throws {
        let state = FineTuneState(recipe: recipe, model: prepared.body.config, settings: settings, dataset: dataset,
                                  tokenizer: tokenizer.kind, step: step, position: position, dropoutGenerator: dropoutGenerator.state,
                                  losses: losses, evaluations: evaluations)
        let fm = FileManager.default
        let partial = directory.deletingLastPathComponent().appendingPathComponent(directory.lastPathComponent + ".partial")
        do {
            try? fm.removeItem(at: partial)
            try fm.createDirectory(at: partial, withIntermediateDirectories: true)
        } catch {
            throw InputError(path: directory.deletingLastPathComponent().path, problem: "cannot create a checkpoint directory (\(error.localizedDescription))",
                             hint: "choose an --out directory you can write to")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeFileAtomically(try encoder.encode(state), to: partial.appendingPathComponent("training.json"))
        var config = try prepared.body.huggingFaceConfig()
        config["course_finetune"] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(recipe))
        if recipe.isClassifier { config["architectures"] = ["GPTClassifier"] }   // the course's: a GPT-2 body and out_head (with bias)
        try writeFileAtomically(try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]),
                                to: partial.appendingPathComponent("config.json"))
        var weights = prepared.body.huggingFaceWeights().filter { !$0.key.contains(".lora.") }
        if let head = prepared.classifier?.head {
            weights["out_head.weight"] = head.weight.detach()
            weights["out_head.bias"] = head.bias!.detach()
        }
        try SafeTensors.write(weights, metadata: ["format": "pt"], to: partial.appendingPathComponent("model.safetensors"))
        if recipe.loraRank != nil { try LoRA.save(prepared.module, to: partial.appendingPathComponent("adapter.safetensors")) }
        let (optimizerStep, moments) = optimizer.state()
        try SafeTensors.write(moments, metadata: ["step": String(optimizerStep)], to: partial.appendingPathComponent("optimizer.safetensors"))
        try tokenizer.save(to: partial)
        try replaceDirectory(directory, with: partial)
    }

    /// Puts a resumed run back where it stopped: the optimiser's moments from
    /// `directory/optimizer.safetensors` and the counters from `state`.
    public func restore(from directory: URL, state: FineTuneState) throws {
        let url = directory.appendingPathComponent("optimizer.safetensors")
        do {
            let file = try SafeTensorsFile(contentsOf: url)
            var moments: [String: Tensor] = [:]
            for name in file.names { moments[name] = try file.tensor(name) }
            guard let stepText = file.metadata["step"], let optimizerStep = Int(stepText) else {
                throw InputError(path: url.path, problem: "has no \"step\" in its metadata")
            }
            try optimizer.restore(step: optimizerStep, tensors: moments)
        } catch let error as SafeTensorsError {
            throw InputError(path: error.path, problem: error.problem, hint: error.hint)
        } catch let error as ModuleLoadError {
            throw InputError(path: url.path, problem: error.description, hint: "the optimiser state does not fit the model in config.json")
        }
        dropoutGenerator.restore(state.dropoutGenerator)
        step = state.step
        position = state.position
        losses = state.losses
        evaluations = state.evaluations
    }
}

extension FineTuneModel {
    /// The model of a fine-tuning checkpoint, rebuilt as the run built it and loaded: the
    /// body's weights, the head, the adapters. `generator` serves the model's dropout.
    public static func load(from directory: URL, state: FineTuneState, dropRate: Float? = nil,
                            generator: TorchGenerator) throws -> FineTuneModel {
        var config = state.model
        if let dropRate { config.dropRate = dropRate }
        let checkpoint = try HuggingFaceCheckpoint(directory: directory)
        let body = withNoGrad { GPTModel(config, generator: generator) }
        try body.load(gpt2Weights: checkpoint)
        let prepared = withNoGrad { FineTuneModel(body: body, recipe: state.recipe, generator: generator) }
        if let head = prepared.classifier?.head {
            let d = config.embeddingDim, classes = state.recipe.labels.count
            try head.load(["weight": checkpoint.tensor(["out_head.weight"], shape: [classes, d]),
                           "bias": checkpoint.tensor(["out_head.bias"], shape: [classes])], strict: false)
        }
        if state.recipe.loraRank != nil {
            try LoRA.load(into: prepared.module, from: directory.appendingPathComponent("adapter.safetensors"))
        }
        return prepared
    }
}
