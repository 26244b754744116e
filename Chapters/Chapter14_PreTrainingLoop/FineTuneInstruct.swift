// `finetune instruct` (the book's chapter 7): teach a pre-trained GPT to answer instructions.
// The data are 1,100 instruction / input / answer examples written as Alpaca prompts; batches
// come from the book's collate function, whose −100 targets keep padding out of the loss; the
// loss is pre-training's next-token cross-entropy. The fine-tuned model then answers the test
// instructions, and the answers are saved for a judge model to score.

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

func runInstruct(_ arguments: [String]) {
    let command = FineTuneCommand("instruct", summary: "fine-tune a GPT to follow instructions (the book's chapter 7)",
                                  arguments: arguments, epochs: 2, learningRate: 1e-3, evalEvery: 20)
    InstructionRun(command).run()
}

final class InstructionRun {
    let command: FineTuneCommand
    let bookFlag: Options.Flag<Bool>
    let dataFlag: Options.Flag<String?>
    let maxLengthFlag: Options.Flag<Int>
    let maxNewTokensFlag: Options.Flag<Int>
    let testCountFlag: Options.Flag<Int>
    let responsesFlag: Options.Flag<String?>

    init(_ command: FineTuneCommand) {
        self.command = command
        let options = command.options
        bookFlag = options.flag("--book", help: "only print the book's collate outputs and its small cross-entropy examples (section 7.3)")
        dataFlag = options.optionalString("--data", help: "a JSON list of {instruction, input, output} (default: data/instruction-data.json)", placeholder: "FILE")
        maxLengthFlag = options.int("--max-length", default: 0, help: "cut training sequences to N tokens: the collate function's allowed_max_length (0: the model's context)")
        maxNewTokensFlag = options.int("--max-new-tokens", default: 256, help: "tokens generated at most for each test answer")
        testCountFlag = options.int("--test-count", default: 0, help: "answer only the first N test instructions (0: all)")
        responsesFlag = options.optionalString("--responses", help: "where to write the test answers as JSON Lines (default: OUT/test-responses.jsonl)", placeholder: "FILE")
        options.epilogue = """
        Examples:
          swift run Chapter14_PreTrainingLoop finetune instruct --book        # the book's collate and loss figures
          swift run -c release Chapter14_PreTrainingLoop finetune instruct    # the shipped model, a short run
          swift run -c release Chapter14_PreTrainingLoop finetune instruct --init-from path/to/gpt2-medium --lr 5e-5
          swift run -c release Chapter14_PreTrainingLoop finetune instruct --init-from path/to/gpt2 --lora 16 --lr 5e-4
        """
    }

    func run() {
        let command = self.command
        command.parse()
        command.require(maxLengthFlag.value >= 0 && maxNewTokensFlag.value >= 1 && testCountFlag.value >= 0,
                        "--max-length and --test-count must be at least 0, --max-new-tokens at least 1")
        if bookFlag.value {
            chapterTitle(14, "After pre-training: the book's collate function")
            showCollateAndMask(padID: 50256)
            return
        }
        let resumeDirectory = command.resumeDirectory
        let resumed = resumeDirectory.map { dir in command.orFail { try FineTuneState.read(from: dir) } }
        if let resumed { command.require(!resumed.recipe.isClassifier, "\(command.resume.value!): it is a run of finetune \(resumed.recipe.task), not of instruct") }

        chapterTitle(14, "After pre-training: following instructions")
        say("""
        A pre-trained model continues text; asked a question, it tends to continue the question. \
        Instruction fine-tuning trains it, with the same next-token loss as pre-training, on \
        examples of instructions followed by good answers — until answering is what continuing means.
        """)

        // MARK: 1. The data
        section("1. Instructions, inputs and answers")
        let dataURL = dataFlag.value.map { URL(fileURLWithPath: $0) } ?? command.orFail { try dataFile("instruction-data.json") }
        let examples = command.orFail { try InstructionExample.load(dataURL) }
        command.require(examples.count >= 20, "\(dataURL.path): \(examples.count) examples are too few to split 85/10/5")
        let (train, validation, test) = splitInstructions(examples)
        say("""
        \(dataFlag.value ?? "data/instruction-data.json") holds \(grouped(examples.count)) examples (the book's). Each \
        is written as an Alpaca prompt — a fixed preamble, the instruction, the input if there is \
        one — followed by the response:
        """)
        let shown = examples.count > 50 ? examples[50] : examples[0]
        print(AlpacaFormat.text(shown).split(separator: "\n", omittingEmptySubsequences: false).map { "  │ " + $0 }.joined(separator: "\n"))
        say("As the book does: the first 85% train, the next 10% test, the last 5% validate.")
        table(["split", "examples"], [["train", grouped(train.count)], ["validation", grouped(validation.count)], ["test", grouped(test.count)]],
              rightAligned: [1])

        // MARK: 2. The model
        section("2. The model")
        let generator = TorchGenerator(seed: UInt64(command.seed.value))
        var tokenizer: CheckpointTokenizer
        let prepared: FineTuneModel
        let recipe: FineTuneRecipe
        if let dir = resumeDirectory, let state = resumed {
            tokenizer = command.orFail { try CheckpointTokenizer.load(from: dir, gpt2Files: dataDirectory().appendingPathComponent("gpt2")) }
            prepared = command.orFail { try FineTuneModel.load(from: dir, state: state, generator: generator) }
            recipe = state.recipe
            say("Resuming the run in \(command.resume.value!) (fine-tuned from \(recipe.base)).")
        } else {
            let base = command.loadBase(generator: generator)
            tokenizer = base.tokenizer
            var body = base.model
            switch tokenizer {
            case .gpt2, .pretrained:
                guard let eot = endOfText(tokenizer) else {
                    command.fail("\(base.name): its tokenizer has no end-of-sequence token to pad batches and end answers with")
                }
                say("""
                The pre-trained model is \(base.name): \(body.config.numLayers) blocks of width \
                \(body.config.embeddingDim), \(grouped(body.config.vocabSize)) token ids, a context of \(grouped(body.config.contextLength)). \
                Its end-of-text token (id \(eot)\(eot == 50256 ? ", GPT-2's <|endoftext|>" : "")) pads batches and ends each answer.
                """)
            case .char(let chars):
                let allText = examples.map(AlpacaFormat.text).joined()
                let grown = chars.adding(charactersOf: allText)
                let longest = examples.map { AlpacaFormat.text($0).unicodeScalars.count }.max()! + 1   // + the end-of-text character
                let context = max(body.config.contextLength, (longest + 127) / 128 * 128)
                if grown.vocabularySize == chars.vocabularySize && context == body.config.contextLength {
                    say("""
                    The pre-trained model is \(base.name), a character model that already knows every character \
                    of the data and its end-of-text character, with \(body.config.contextLength) positions: room for \
                    the longest example (\(longest) characters with its end).
                    """)
                } else {
                    say("""
                    The pre-trained model is \(base.name), a character model: \(chars.vocabularySize) \
                    characters and \(body.config.contextLength) positions. The instructions need more of both: \
                    \(grown.vocabularySize - chars.vocabularySize - 1) characters its text never used (digits, #, \
                    accented letters, …), an end-of-text character to end each answer, and room for the longest \
                    example (\(longest) characters with its end). The model grows: \(grown.vocabularySize - chars.vocabularySize) new token \
                    rows start at the mean of the old ones, and positions \(body.config.contextLength)–\(context - 1) \
                    repeat the learned \(body.config.contextLength) (Longformer's trick). Fine-tuning must teach all of \
                    them, so expect little from a short run: this shows the mechanics, and a downloaded GPT-2 \
                    (--init-from) the real thing.
                    """)
                }
                body = withNoGrad { body.extended(vocabSize: grown.vocabularySize, contextLength: context, generator: generator) }
                tokenizer = .char(grown)
            case .bpe:
                command.fail("\(base.name): this model's tokenizer (a BPE trained by this chapter) has no end-of-text token to end answers with\nhint: use the shipped data/shakespeare-char or a Hugging Face GPT-2 with --init-from")
            }
            let maxLength = maxLengthFlag.value == 0 ? body.config.contextLength : min(maxLengthFlag.value, body.config.contextLength)
            recipe = FineTuneRecipe(task: "instruct", base: base.name, loraRank: command.lora?.rank, loraAlpha: command.lora?.alpha,
                                    padID: endOfText(tokenizer)!, maxLength: maxLength)
            prepared = withNoGrad { FineTuneModel(body: body, recipe: recipe, generator: generator) }
        }
        let model = prepared.body
        let eot = recipe.padID
        let maxLength = recipe.maxLength ?? model.config.contextLength
        if let rank = recipe.loraRank {
            say("Every weight is frozen; LoRA adapters of rank \(rank) (alpha \(fixed(recipe.loraAlpha!, 1))) on every Linear layer train:")
        } else {
            say("Unlike the classifier, every parameter trains, as in the book:")
        }
        table(["trainable parameters", "count"], [["before freezing", grouped(prepared.countBeforeFreezing)]]
              + (recipe.loraRank != nil ? [["after freezing", grouped(prepared.countAfterFreezing)], ["with LoRA adapters", grouped(prepared.trainableCount)]]
                                        : [["trained", grouped(prepared.trainableCount)]]), rightAligned: [1])

        // MARK: 3. Batches and the loss mask
        section("3. Batches: the collate function and the loss mask")
        showCollateAndMask(padID: eot)
        let encoded: [DataSplit: [[Int]]] = command.orFail { [
            .train: try train.map { try tokenizer.encodeChecked(AlpacaFormat.text($0)) },
            .validation: try validation.map { try tokenizer.encodeChecked(AlpacaFormat.text($0)) },
            .test: try test.map { try tokenizer.encodeChecked(AlpacaFormat.text($0)) },
        ] }
        let dataset = DatasetDescription(name: dataFlag.value ?? "instruction-data.json",
                                         ids: DataSplit.allCases.flatMap { encoded[$0]!.flatMap { $0 + [-1] } }, trainFraction: 0.85)
        if let state = resumed, state.dataset.fingerprint != dataset.fingerprint {
            command.fail("\(command.resume.value!): the run was made with other data (\(state.dataset.name)); resume with the same --data")
        }
        let first = collateInstructions(Array(encoded[.train]!.prefix(command.batchSize.value)), padID: eot, allowedMaxLength: maxLength)
        let counted = first.targets.filter { $0 != -100 }.count
        say("""
        On the real data, the first training batch is \(describeShape(first.shape)): its longest example \
        sets the width, and \(grouped(first.targets.count - counted)) of its \(grouped(first.targets.count)) targets are \
        −100 (padding the loss ignores). Sequences are cut to \(grouped(maxLength)) tokens \
        (allowed_max_length).
        """)

        // MARK: 4. Before fine-tuning
        section("4. Before fine-tuning")
        var tokens = 0
        func loss(_ split: DataSplit, _ indices: [Int]) -> Tensor {
            let b = collateInstructions(indices.map { encoded[split]![$0] }, padID: eot, allowedMaxLength: maxLength)
            if split == .train && isGradEnabled { tokens += b.inputs.count }
            let logits = model(b.inputs, shape: b.shape)                                          // (B, T, V)
            return logits.reshape([-1, model.config.vocabSize]).crossEntropy(targets: b.targets)  // () over the counted targets
        }
        let batchesPerEpoch = encoded[.train]!.count / command.batchSize.value
        let steps = resumed.map { command.steps.value > 0 ? command.steps.value : $0.settings.steps }
            ?? (command.steps.value > 0 ? command.steps.value : command.epochs.value * batchesPerEpoch)
        var settings = resumed?.settings ?? command.settings(steps: steps)
        settings.steps = steps
        let tuner = FineTuner(model: model, dropoutGenerator: generator, settings: settings,
                              counts: [.train: encoded[.train]!.count, .validation: encoded[.validation]!.count, .test: encoded[.test]!.count],
                              loss: loss)
        if let dir = resumeDirectory, let state = resumed { command.orFail { try tuner.restore(from: dir, state: state) } }
        command.require(tuner.step < settings.steps || resumed == nil,
                        "\(command.resume.value ?? ""): the run already took \(tuner.step) of its \(settings.steps) steps\nhint: give a larger --steps to train on")
        command.checkWritable()
        let responsesURL = URL(fileURLWithPath: responsesFlag.value ?? command.outDirectory.appendingPathComponent("test-responses.jsonl").path)
        if tuner.step == 0 {
            print("train loss: \(fixed(tuner.meanLoss(.train, batches: settings.evalBatches), 3))")
            print("val loss:   \(fixed(tuner.meanLoss(.validation, batches: settings.evalBatches), 3))")
        }
        let probe = validation[0]
        func answer(_ example: InstructionExample, limit: Int) -> String {
            let prompt = command.orFail { try tokenizer.encodeChecked(AlpacaFormat.prompt(example)) }
            let room = model.config.contextLength - prompt.count
            guard room > 0 else { return "" }
            var ids = model.evaluating { generate(model, prompt: prompt, maxNewTokens: min(limit, room), stopAt: [eot]) }
            if ids.last == eot { ids.removeLast() }
            return tokenizer.tokenizer.decode(ids).replacingOccurrences(of: "### Response:", with: "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        say("Asked the first validation instruction, the model\(tuner.step == 0 ? " before fine-tuning" : "") answers (greedy, at most 60 tokens):")
        print(quoteBlock(AlpacaFormat.prompt(probe)))
        print("  → " + quoted(answer(probe, limit: 60)))

        // MARK: 5. Fine-tuning
        section("5. Fine-tuning")
        say("""
        The pre-training loop on these batches: \(grouped(tuner.batchesPerEpoch)) batches of \(settings.batchSize) per \
        epoch, \(grouped(settings.steps)) steps, AdamW at a constant \(scientific(settings.learningRate)), weight \
        decay \(fixed(settings.weightDecay, 1)). The loss is the mean cross-entropy of every target that is not −100 — \
        prompt, answer and one end-of-text token. After each epoch, the answer to the instruction above.
        """)
        let checkpoint = command.outDirectory.appendingPathComponent("checkpoint")
        func save() {
            if command.noSave.value { return }
            command.orFail { try tuner.saveCheckpoint(to: checkpoint, model: prepared, recipe: recipe, tokenizer: tokenizer, dataset: dataset) }
        }
        let firstStep = tuner.step
        let elapsed = trainToTheEnd(tuner, command: command, tokensSeen: { tokens }, hooks: LoopHooks(afterEpoch: {
            print("    after epoch \(tuner.position.epoch + 1): " + quoted(answer(probe, limit: 60)))
        }), save: save)
        save()
        timing(command, loopTiming(tuner.step - firstStep, tokens: tokens, elapsed))

        // MARK: 6. Answers
        section("6. Answers to the test instructions")
        let answered = testCountFlag.value == 0 ? test : Array(test.prefix(testCountFlag.value))
        var lines: [String] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let started = Date()
        for (i, example) in answered.enumerated() {
            let response = answer(example, limit: maxNewTokensFlag.value)
            let record = TestResponse(instruction: example.instruction, input: example.input, output: example.output, modelResponse: response)
            lines.append(String(decoding: command.orFail { try encoder.encode(record) }, as: UTF8.self))
            if i < 3 {
                print(quoteBlock(AlpacaFormat.prompt(example)))
                print("  correct: \(quoted(example.output))")
                print("  model:   \(quoted(response))")
            }
        }
        command.orFail { try writeAtomically(Data((lines.joined(separator: "\n") + "\n").utf8), to: responsesURL) }
        say("""
        \(answered.count) test answers (greedy, at most \(maxNewTokensFlag.value) tokens, stopping at end-of-text) \
        written to \(responsesFlag.value ?? (command.out.value.hasSuffix("/") ? command.out.value : command.out.value + "/") + "test-responses.jsonl"): \
        one JSON object per line with the instruction, input, the reference output and the \
        model_response. The book scores such a file with a larger model (Llama 3 8B through \
        ollama, 0–100 per answer); any judge can read it.
        """)
        timing(command, "Answering took \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")

        section("7. The checkpoint")
        if command.noSave.value {
            say("Nothing saved (--no-save).")
        } else {
            say("""
            Saved to \(command.checkpointPath) in GPT-2's layout\(recipe.loraRank != nil ? " with the adapters in adapter.safetensors (merged when loaded)" : ""); \
            continue with --resume \(command.out.value) --steps N, or generate from it:
            """)
            print("swift run Chapter13_AutoregressiveLoopAndKVCache generate \(command.checkpointPath) --prompt \"…\"")
        }
    }

    /// The book's section 7.3: the collate function on three tiny sequences, and why −100.
    func showCollateAndMask(padID: Int) {
        say("""
        Examples differ in length, so a batch is padded. The book's collate function appends one \
        end-of-text token (id \(padID)) to each sequence and pads with more up to the longest + 1; \
        the inputs drop the last token and the targets the first (next-token prediction, as in \
        pre-training); then every padding target but the first becomes −100. For the sequences \
        [0, 1, 2, 3, 4], [5, 6] and [7, 8, 9]:
        """)
        let batch = collateInstructions([[0, 1, 2, 3, 4], [5, 6], [7, 8, 9]], padID: padID)
        print(integerTensor(batch.rows(batch.inputs)))
        print(integerTensor(batch.rows(batch.targets)))
        say("""
        The first end-of-text target stays: the model must learn to end its answer. The others \
        are padding, and cross-entropy skips a target of −100 (PyTorch's ignore_index). The \
        book's two-class example: two rows, then a third, then the third's target set to −100:
        """)
        let logits1 = Tensor([[-1.0, 1.0], [-0.5, 1.5]])
        let logits2 = Tensor([[-1.0, 1.0], [-0.5, 1.5], [-0.5, 1.5]])
        let loss1 = logits1.crossEntropy(targets: [0, 1])
        let loss2 = logits2.crossEntropy(targets: [0, 1, 1])
        let loss3 = logits2.crossEntropy(targets: [0, 1, -100])
        print("loss_1 (targets [0, 1]):          \(loss1)")
        print("loss_2 (targets [0, 1, 1]):       \(loss2)")
        print("loss_3 (targets [0, 1, -100]):    \(loss3)")
        print("loss_1 == loss_3: \(loss1.item == loss3.item)")
    }
}

/// One line of the test-responses file (the book's instruction-data-with-response.json keys).
struct TestResponse: Encodable {
    let instruction: String, input: String, output: String, modelResponse: String
    enum CodingKeys: String, CodingKey { case instruction, input, output, modelResponse = "model_response" }
}

/// The end-of-text id of a tokenizer: GPT-2's <|endoftext|>, a character model's U+0003, a
/// downloaded tokenizer's end-of-sequence token.
func endOfText(_ tokenizer: CheckpointTokenizer) -> Int? {
    switch tokenizer {
    case .gpt2: return 50256
    case .char(let t): return t.endOfTextID
    case .bpe: return nil
    case .pretrained(let t): return t.eosIDs.first          // a downloaded model's own tokenizer
    }
}

/// Integer rows as PyTorch prints an integer tensor: every entry right-aligned to the widest.
///
///     integerTensor([[0, 1], [5, 50256]])   // tensor([[    0,     1],
///                                           //         [    5, 50256]])
func integerTensor(_ rows: [[Int]]) -> String {
    let width = rows.joined().map { String($0).count }.max() ?? 1
    let lines = rows.map { "[" + $0.map { pad(String($0), width, right: true) }.joined(separator: ", ") + "]" }
    return "tensor([" + lines.joined(separator: ",\n        ") + "])"
}

/// Text framed as a quotation, line by line.
func quoteBlock(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { "  │ " + $0 }.joined(separator: "\n")
}
