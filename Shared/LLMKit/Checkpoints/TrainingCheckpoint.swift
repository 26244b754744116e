// A training checkpoint is a directory a Hugging Face GPT-2 loader can read, plus what it
// takes to resume the run exactly:
//
//     config.json             GPT-2's config (and the course's own GPTConfig under "course_config")
//     model.safetensors       the weights under GPT-2's names and layout (Conv1D weights (in, out))
//     tokenizer.json          which tokenizer: {"type": "gpt2"} | {"type": "char", "characters": …} | {"type": "bpe"}
//     bpe-merges.txt          the merges, for a course BPE tokenizer
//     training.json           settings, step, data position, generator state, losses, dataset fingerprint
//     optimizer.safetensors   AdamW's moments (left out of a model shipped for inference)
//
// The directory is written complete under a temporary name and then renamed into place, so
// an interrupted save leaves the previous checkpoint (or nothing), never a broken one.

import Foundation
import TensorKit
import Tokenizers

// MARK: - The tokenizer of a checkpoint

/// The tokenizer a model was trained with, or the one a downloaded model ships.
public enum CheckpointTokenizer {
    case gpt2(GPT2Tokenizer)
    case char(CharTokenizer)
    case bpe(BytePairTokenizer)
    /// A Hugging Face tokenizer.json or SentencePiece tokenizer.model of a downloaded model.
    case pretrained(PretrainedTokenizer)

    public var tokenizer: Tokenizer {
        switch self {
        case .gpt2(let t): return t
        case .char(let t): return t
        case .bpe(let t): return t
        case .pretrained(let t): return t.tokenizer
        }
    }

    /// "gpt2", "char" or "bpe", as the `--tokenizer` flag names them; "pretrained" for a
    /// downloaded model's own.
    public var kind: String {
        switch self {
        case .gpt2: return "gpt2"
        case .char: return "char"
        case .bpe: return "bpe"
        case .pretrained: return "pretrained"
        }
    }

    /// The files a downloaded model's tokenizer may consist of, copied into its checkpoints.
    static let pretrainedFiles = ["tokenizer.json", "vocab.json", "merges.txt", "encoder.json", "vocab.bpe", "tokenizer.model",
                                  "tokenizer_config.json", "special_tokens_map.json"]

    /// Writes tokenizer.json (and bpe-merges.txt) into `directory`; a downloaded model's own
    /// tokenizer files are copied as they are.
    func save(to directory: URL) throws {
        var object: [String: Any] = ["type": kind]
        switch self {
        case .gpt2: break
        case .char(let t): object["characters"] = t.characters.map { String($0) }
        case .bpe(let t): try t.save(to: directory.appendingPathComponent("bpe-merges.txt"))
        case .pretrained(let t):
            for name in Self.pretrainedFiles {
                let source = t.directory.appendingPathComponent(name)
                guard let data = FileManager.default.contents(atPath: source.path) else { continue }
                try writeFileAtomically(data, to: directory.appendingPathComponent(name))
            }
            return
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        try writeFileAtomically(data, to: directory.appendingPathComponent("tokenizer.json"))
    }

    /// Reads the tokenizer of a checkpoint: the course's own tokenizer.json (written by chapter
    /// 14), or the tokenizer a downloaded model ships (a Hugging Face tokenizer.json, GPT-2's
    /// files, a SentencePiece tokenizer.model: PretrainedTokenizer). A directory with none of
    /// these (a bare GPT-2 checkpoint) uses GPT-2's tokenizer from `gpt2Files`.
    public static func load(from directory: URL, gpt2Files: URL) throws -> CheckpointTokenizer {
        let url = directory.appendingPathComponent("tokenizer.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("vocab.json").path) {
                return .gpt2(try GPT2Tokenizer(directory: directory))
            }
            if PretrainedTokenizer.hasTokenizer(in: directory) { return .pretrained(try PretrainedTokenizer(directory: directory)) }
            return .gpt2(try GPT2Tokenizer(directory: gpt2Files))
        }
        if PretrainedTokenizer.isHuggingFaceTokenizer(data) { return .pretrained(try PretrainedTokenizer(directory: directory)) }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let type = object["type"] as? String else {
            throw InputError(path: url.path, problem: "is not a JSON object with a \"type\"", hint: "it is written by Chapter14_PreTrainingLoop")
        }
        switch type {
        case "gpt2":
            return .gpt2(try GPT2Tokenizer(directory: gpt2Files))
        case "char":
            guard let characters = object["characters"] as? [String], characters.allSatisfy({ $0.unicodeScalars.count == 1 }),
                  Set(characters).count == characters.count else {
                throw InputError(path: url.path, problem: "\"characters\" is not a list of distinct single characters")
            }
            return .char(CharTokenizer(characters: characters.map { $0.unicodeScalars.first! }))
        case "bpe":
            return .bpe(try BytePairTokenizer.load(from: directory.appendingPathComponent("bpe-merges.txt")))
        default:
            throw InputError(path: url.path, problem: "tokenizer type \"\(type)\" is unknown", hint: "expected gpt2, char or bpe")
        }
    }
}

// MARK: - GPT-2 layout

extension GPTModel {
    /// The weights under Hugging Face GPT-2's names and layout: a `transformer.` prefix,
    /// Conv1D weights stored (in, out), a zero `c_attn.bias` for a model without QKV bias, and
    /// `lm_head.weight` only when the head is not tied to the token embedding.
    public func huggingFaceWeights() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, tensor) in namedParameters() {
            let (hfName, transposed) = GPTModel.huggingFaceName(name)
            out[hfName] = transposed ? tensor.detach().T : tensor.detach()
        }
        if !config.qkvBias {
            for i in 0..<config.numLayers {
                out["transformer.h.\(i).attn.c_attn.bias"] = Tensor.zeros([3 * config.embeddingDim])
            }
        }
        return out
    }

    /// GPT-2's config.json for this model; the course's own configuration (QKV bias, dropout,
    /// untied head) rides along under "course_config".
    public func huggingFaceConfig() throws -> [String: Any] {
        let course = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config))
        return [
            "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
            "vocab_size": config.vocabSize, "n_positions": config.contextLength, "n_ctx": config.contextLength,
            "n_embd": config.embeddingDim, "n_head": config.numHeads, "n_layer": config.numLayers,
            "activation_function": config.geluApproximate ? "gelu_new" : "gelu",
            "layer_norm_epsilon": config.layerNormEps, "tie_word_embeddings": config.tiedHead,
            "resid_pdrop": config.dropRate, "embd_pdrop": config.dropRate, "attn_pdrop": config.dropRate,
            "course_config": course,
            // GPT-2's <|endoftext|> only exists in GPT-2's vocabulary; a character model has none
            "bos_token_id": config.vocabSize > 50256 ? 50256 : NSNull(),
            "eos_token_id": config.vocabSize > 50256 ? 50256 : NSNull(),
        ]
    }
}

// MARK: - Training state

/// Which text a run trains on, so a resumed run can check it is given the same data.
public struct DatasetDescription: Codable, Equatable {
    public var name: String
    public var tokens: Int
    /// FNV-1a of the token ids.
    public var fingerprint: UInt64
    public var trainFraction: Double

    public init(name: String, ids: [Int], trainFraction: Double) {
        self.name = name
        tokens = ids.count
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for id in ids {
            hash = (hash ^ UInt64(truncatingIfNeeded: id)) &* 0x0000_0100_0000_01b3
        }
        fingerprint = hash
        self.trainFraction = trainFraction
    }
}

/// training.json.
public struct TrainingState: Codable {
    public var model: GPTConfig
    public var settings: TrainingSettings
    public var dataset: DatasetDescription
    public var tokenizer: String
    public var step: Int
    public var position: DataPosition
    public var dropoutGenerator: GeneratorState
    public var losses: [Float]
    public var evaluations: [Evaluation]
}

extension TrainingState {
    /// Reads and checks a training.json: an `InputError` naming the file if it is missing, is
    /// not a training state, or holds values a run cannot continue from (see `validate`).
    ///
    ///     let state = try TrainingState.load(from: checkpoint.appendingPathComponent("training.json"))
    ///     state.step      // 3
    public static func load(from url: URL) throws -> TrainingState {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw InputError(path: url.path, problem: "not found",
                             hint: "--resume takes a directory written by Chapter14_PreTrainingLoop (its --out); to start from weights only, use --init-from")
        }
        let state: TrainingState
        do { state = try JSONDecoder().decode(TrainingState.self, from: data) } catch {
            throw InputError(path: url.path, problem: "is not a valid training state (\(error))")
        }
        try state.validate(path: url.path)
        return state
    }

    /// Checks what continuing the run relies on: a model that can be made, sizes and counts
    /// that are not negative (or zero where they divide), one loss per step taken, a data
    /// position within the steps taken, and a complete generator state. Throws an `InputError`
    /// naming `path`.
    ///
    ///     try state.validate(path: "training.json")   // training.json: its batch size 0 is not positive
    public func validate(path: String) throws {
        func fail(_ problem: String) -> InputError {
            InputError(path: path, problem: problem, hint: "the file is damaged; resume from another checkpoint, or start the run again")
        }
        try model.validate(path: path)
        guard step >= 0, losses.count == step else { throw fail("holds \(losses.count) batch losses at step \(step); a run records one per step") }
        guard settings.batchSize >= 1 else { throw fail("its batch size \(settings.batchSize) is not positive") }
        guard settings.steps >= 0, settings.warmupSteps >= 0 else {
            throw fail("its steps (\(settings.steps)) and warm-up steps (\(settings.warmupSteps)) must not be negative")
        }
        guard settings.evalEvery >= 1, (settings.evalBatches ?? 1) >= 1 else {
            throw fail("it evaluates every \(settings.evalEvery) steps on \(settings.evalBatches.map(String.init) ?? "all") batches; both must be positive")
        }
        guard position.epoch >= 0, position.batch >= 0, position.epoch <= step else {
            throw fail("its data position (epoch \(position.epoch), batch \(position.batch)) cannot follow \(step) steps")
        }
        guard dropoutGenerator.isValid else {
            throw fail("its dropout generator has \(dropoutGenerator.words.count) words at position \(dropoutGenerator.position); a state has 624 at 0…624")
        }
        for e in evaluations where e.step < 0 || e.step > step {
            throw fail("holds an evaluation at step \(e.step), outside the \(step) steps taken")
        }
    }
}

extension Trainer {
    /// Writes a complete checkpoint to `directory` (replacing one that is there), atomically.
    /// `includeOptimizer: false` leaves out AdamW's moments (a model for inference only).
    public func saveCheckpoint(to directory: URL, tokenizer: CheckpointTokenizer, dataset: DatasetDescription,
                               includeOptimizer: Bool = true) throws {
        let state = TrainingState(model: model.config, settings: settings, dataset: dataset, tokenizer: tokenizer.kind,
                                  step: step, position: position, dropoutGenerator: dropoutGenerator.state,
                                  losses: losses, evaluations: evaluations)
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        let partial = parent.appendingPathComponent(directory.lastPathComponent + ".partial")
        do {
            try? fm.removeItem(at: partial)
            try fm.createDirectory(at: partial, withIntermediateDirectories: true)
        } catch {
            throw InputError(path: parent.path, problem: "cannot create a checkpoint directory (\(error.localizedDescription))",
                             hint: "choose an --out directory you can write to")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeFileAtomically(try encoder.encode(state), to: partial.appendingPathComponent("training.json"))
        try writeFileAtomically(try JSONSerialization.data(withJSONObject: model.huggingFaceConfig(), options: [.prettyPrinted, .sortedKeys]),
                                to: partial.appendingPathComponent("config.json"))
        try SafeTensors.write(model.huggingFaceWeights(), metadata: ["format": "pt"],
                              to: partial.appendingPathComponent("model.safetensors"))
        if includeOptimizer {
            let (optimizerStep, moments) = optimizer.state()
            try SafeTensors.write(moments, metadata: ["step": String(optimizerStep)],
                                  to: partial.appendingPathComponent("optimizer.safetensors"))
        }
        try tokenizer.save(to: partial)
        try replaceDirectory(directory, with: partial)
    }

    /// A trainer that continues the run saved in `directory` exactly where it stopped. The
    /// dataset must be the one the run was trained on (checked by its fingerprint).
    public static func resume(from directory: URL, trainData: SlidingWindowDataset, validationData: SlidingWindowDataset,
                              dataset: DatasetDescription, steps: Int? = nil) throws -> Trainer {
        let stateURL = directory.appendingPathComponent("training.json")
        let state = try TrainingState.load(from: stateURL)
        guard state.dataset.fingerprint == dataset.fingerprint, state.dataset.tokens == dataset.tokens else {
            throw InputError(path: stateURL.path,
                             problem: "was trained on \(state.dataset.name) (\(state.dataset.tokens) tokens), not on \(dataset.name) (\(dataset.tokens) tokens)",
                             hint: "resume with the same --dataset and --tokenizer as the run that wrote it")
        }
        guard trainData.maxLength <= state.model.contextLength else {
            throw InputError(path: stateURL.path, problem: "has context \(state.model.contextLength), shorter than the windows of \(trainData.maxLength)")
        }
        guard state.settings.batchSize <= trainData.count else {
            throw InputError(path: stateURL.path, problem: "has batches of \(state.settings.batchSize) windows, more than the \(trainData.count) training windows")
        }
        // The model of training.json must be that of config.json, whose sizes the weights must
        // back before a model of those sizes is made.
        let checkpoint = try HuggingFaceCheckpoint(directory: directory)
        let saved = try GPTConfig(huggingFace: checkpoint)
        guard saved == state.model else {
            throw InputError(path: stateURL.path, problem: "describes another model than config.json",
                             hint: "the two files come from different runs; resume from a checkpoint written whole by Chapter14_PreTrainingLoop")
        }
        try checkpoint.checkGPT2Shapes(state.model)
        var settings = state.settings
        if let steps { settings.steps = steps }
        let generator = TorchGenerator(seed: settings.seed)
        let model = withNoGrad { GPTModel(state.model, generator: generator) }
        try model.load(gpt2Weights: checkpoint)
        generator.restore(state.dropoutGenerator)
        let trainer = Trainer(model: model, dropoutGenerator: generator, trainData: trainData,
                              validationData: validationData, settings: settings)
        let optimizerURL = directory.appendingPathComponent("optimizer.safetensors")
        guard FileManager.default.fileExists(atPath: optimizerURL.path) else {
            throw InputError(path: optimizerURL.path, problem: "not found (this checkpoint holds weights only)",
                             hint: "continue training from its weights with --init-from instead of --resume")
        }
        do {
            let file = try SafeTensorsFile(contentsOf: optimizerURL)
            guard let stepText = file.metadata["step"], let optimizerStep = Int(stepText) else {
                throw InputError(path: optimizerURL.path, problem: "has no \"step\" in its metadata")
            }
            guard optimizerStep == state.step else {
                throw InputError(path: optimizerURL.path, problem: "is the optimiser's state after step \(optimizerStep), but training.json is at step \(state.step)",
                                 hint: "the two files come from different saves")
            }
            var moments: [String: Tensor] = [:]
            for name in file.names { moments[name] = try file.tensor(name) }
            try trainer.optimizer.restore(step: optimizerStep, tensors: moments)
        } catch let error as SafeTensorsError {
            throw InputError(path: error.path, problem: error.problem, hint: error.hint)
        } catch let error as ModuleLoadError {
            throw InputError(path: optimizerURL.path, problem: error.description, hint: "the optimiser state does not fit the model in config.json")
        }
        trainer.step = state.step
        trainer.position = state.position
        trainer.losses = state.losses
        trainer.evaluations = state.evaluations
        return trainer
    }
}

/// Puts the complete directory `partial` at `directory`: the old one (if any) is moved aside to
/// `<name>.previous`, the new one renamed into place, then the old one removed. Each rename is
/// atomic, so a program killed at any moment leaves a complete checkpoint at `directory`, or —
/// killed between the two renames — the old one at `<name>.previous`, where
/// `lastCompleteCheckpoint` finds it (and the next save puts it back before anything else).
func replaceDirectory(_ directory: URL, with partial: URL) throws {
    let fm = FileManager.default
    let previous = directory.deletingLastPathComponent().appendingPathComponent(directory.lastPathComponent + ".previous")
    do {
        if !fm.fileExists(atPath: directory.path) && fm.fileExists(atPath: previous.path) {
            try fm.moveItem(at: previous, to: directory)        // an earlier save was killed between its renames
        }
        try? fm.removeItem(at: previous)
        if fm.fileExists(atPath: directory.path) { try fm.moveItem(at: directory, to: previous) }
        try fm.moveItem(at: partial, to: directory)
        try? fm.removeItem(at: previous)
    } catch {
        throw InputError(path: directory.path, problem: "cannot be replaced (\(error.localizedDescription))",
                         hint: "check that the --out directory is writable")
    }
}

/// The last complete checkpoint saved at `directory`: `directory` itself, or, if a save was
/// killed between moving the old checkpoint aside and renaming the new one into place, the
/// old one at `<name>.previous`. (`<name>.partial` is never one: it may be half-written.)
///
///     let last = lastCompleteCheckpoint(URL(fileURLWithPath: "runs/char/checkpoint"))
public func lastCompleteCheckpoint(_ directory: URL) -> URL {
    let fm = FileManager.default
    let previous = directory.deletingLastPathComponent().appendingPathComponent(directory.lastPathComponent + ".previous")
    return !fm.fileExists(atPath: directory.path) && fm.fileExists(atPath: previous.path) ? previous : directory
}

// MARK: - Loading for inference

/// A GPT and its tokenizer from a directory written by chapter 14 (or a Hugging Face GPT-2
/// download, which gets GPT-2's tokenizer), in eval mode: what chapters 11–13 generate from.
///
///     let (model, tokenizer) = try loadGPTCheckpoint(dataDirectory().appendingPathComponent("shakespeare-char"),
///                                                    gpt2Files: dataDirectory().appendingPathComponent("gpt2"))
public func loadGPTCheckpoint(_ directory: URL, gpt2Files: URL) throws -> (model: GPTModel, tokenizer: CheckpointTokenizer) {
    let directory = lastCompleteCheckpoint(directory)
    let model = try GPTModel.load(huggingFace: directory)
    let tokenizer = try CheckpointTokenizer.load(from: directory, gpt2Files: gpt2Files)
    guard tokenizer.tokenizer.vocabularySize <= model.config.vocabSize else {
        throw InputError(path: directory.path, problem: "the tokenizer has \(tokenizer.tokenizer.vocabularySize) tokens but the model only \(model.config.vocabSize)",
                         hint: "tokenizer.json and config.json come from different models")
    }
    return (model, tokenizer)
}

extension CheckpointTokenizer {
    /// The ids of `text`; a character a character-level vocabulary lacks is an error naming it.
    public func encodeChecked(_ text: String) throws -> [Int] {
        switch self {
        case .char(let t): return try t.encodeChecked(text)
        case .gpt2(let t): return t.encode(text, allowSpecial: true)
        case .bpe(let t): return t.encode(text)
        case .pretrained(let t): return try t.encode(text)
        }
    }

    /// How a token is shown in a table of candidates: its text, or (for a byte of a longer
    /// character) its token string.
    public func display(_ id: Int) -> String {
        switch self {
        case .pretrained(let t): return t.display(id)
        case .gpt2(let t):
            let text = t.decode([id])
            return text.contains("\u{FFFD}") ? t.tokenString(id) : text
        default: return tokenizer.decode([id])
        }
    }
}

/// The course's trained model, `data/shakespeare-char` (chapter 14 trains it; chapters 11–13
/// run it), with its tokenizer. `dataDirectory` is the course's `data/`.
public func loadShippedModel(dataDirectory: URL) throws -> (model: GPTModel, tokenizer: CheckpointTokenizer) {
    do {
        return try loadGPTCheckpoint(dataDirectory.appendingPathComponent("shakespeare-char"),
                                     gpt2Files: dataDirectory.appendingPathComponent("gpt2"))
    } catch let error as InputError {
        throw InputError(path: error.path, problem: error.problem,
                         hint: "data/shakespeare-char is the model chapter 14 trains; run the chapter from the package root")
    }
}
