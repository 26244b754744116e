// Instruction fine-tuning data (the book's chapter 7): instruction / input / output examples,
// written into one text with the Alpaca prompt format, split 85/10/5, and batched by the
// book's collate function, which pads with the end-of-text token and hides the padding from
// the loss with the ignore index −100.

import Foundation
import TensorKit

/// One example: what to do, optional input to do it on, and the answer wanted.
public struct InstructionExample: Codable, Equatable {
    public var instruction: String
    public var input: String
    public var output: String

    public init(instruction: String, input: String, output: String) {
        self.instruction = instruction
        self.input = input
        self.output = output
    }

    /// Reads a JSON list of `{"instruction", "input", "output"}` objects (the book's
    /// instruction-data.json); an error names the file and what is wrong.
    public static func load(_ url: URL) throws -> [InstructionExample] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw InputError(path: url.path, problem: "not found or not readable")
        }
        do {
            return try JSONDecoder().decode([InstructionExample].self, from: data)
        } catch {
            throw InputError(path: url.path, problem: "is not a JSON list of {\"instruction\", \"input\", \"output\"} objects (\(error))")
        }
    }
}

/// The Alpaca prompt format the book uses (Stanford Alpaca, 2023): a fixed preamble, the
/// instruction, the input if there is one, then the response.
///
///     Below is an instruction that describes a task. Write a response that appropriately completes the request.
///
///     ### Instruction:
///     Identify the correct spelling of the following word.
///
///     ### Input:
///     Ocassion
///
///     ### Response:
///     The correct spelling is 'Occasion.'
public enum AlpacaFormat {
    /// Everything before the answer (the book's `format_input`): what the model is given.
    public static func prompt(_ example: InstructionExample) -> String {
        let instruction = "Below is an instruction that describes a task. Write a response that appropriately completes the request."
            + "\n\n### Instruction:\n" + example.instruction
        return instruction + (example.input.isEmpty ? "" : "\n\n### Input:\n" + example.input)
    }

    /// What follows the prompt: the response header and the answer.
    public static func response(_ example: InstructionExample) -> String {
        responseHeader + example.output
    }

    /// The header the model writes its answer after.
    public static let responseHeader = "\n\n### Response:\n"

    /// Prompt and response: the text the model is trained on.
    public static func text(_ example: InstructionExample) -> String {
        prompt(example) + response(example)
    }
}

/// The book's split of its 1,100 examples: the first 85% train, the next 10% test, the
/// remaining 5% validate (935 / 110 / 55), in file order.
public func splitInstructions(_ examples: [InstructionExample])
    -> (train: [InstructionExample], validation: [InstructionExample], test: [InstructionExample]) {
    let trainCount = Int(Double(examples.count) * 0.85)
    let testCount = Int(Double(examples.count) * 0.1)
    return (Array(examples[..<trainCount]), Array(examples[(trainCount + testCount)...]),
            Array(examples[trainCount..<(trainCount + testCount)]))
}

// MARK: - The collate function

/// A batch for next-token training of different-length sequences: inputs and targets
/// (B·T each, row-major) and their shape (B, T).
public struct InstructionBatch: Equatable {
    public var inputs: [Int]
    public var targets: [Int]
    public var shape: [Int]

    /// The rows of `inputs` or `targets`, for printing.
    public func rows(_ values: [Int]) -> [[Int]] {
        (0..<shape[0]).map { Array(values[($0 * shape[1])..<(($0 + 1) * shape[1])]) }
    }
}

/// The book's `custom_collate_fn`: each sequence gets one end-of-text token (`padID`) and is
/// padded with more to the longest length + 1; inputs drop the last token, targets the first
/// (the same text shifted by one); in each row's targets every padding token but the first is
/// replaced by `ignoreIndex`, so the model learns to end its answer with one end-of-text token
/// and the loss ignores the rest; finally rows are cut to `allowedMaxLength` if given.
///
///     let batch = collateInstructions([[0, 1, 2, 3, 4], [5, 6], [7, 8, 9]], padID: 50256)
///     batch.rows(batch.inputs)    // [[0, 1, 2, 3, 4], [5, 6, 50256, 50256, 50256], [7, 8, 9, 50256, 50256]]
///     batch.rows(batch.targets)   // [[1, 2, 3, 4, 50256], [6, 50256, -100, -100, -100], [8, 9, 50256, -100, -100]]
public func collateInstructions(_ sequences: [[Int]], padID: Int, ignoreIndex: Int = -100,
                                allowedMaxLength: Int? = nil) -> InstructionBatch {
    precondition(!sequences.isEmpty, "collateInstructions: the batch is empty")
    if let allowedMaxLength { precondition(allowedMaxLength >= 1, "collateInstructions: allowedMaxLength must be positive") }
    let longest = sequences.map { $0.count + 1 }.max()!
    let width = min(longest - 1, allowedMaxLength ?? Int.max)
    var inputs: [Int] = [], targets: [Int] = []
    inputs.reserveCapacity(sequences.count * width)
    targets.reserveCapacity(sequences.count * width)
    for sequence in sequences {
        let padded = sequence + [Int](repeating: padID, count: longest - sequence.count)   // one end-of-text, then padding
        var shifted = Array(padded.dropFirst())
        // every padding position of the targets after the first is ignored by the loss
        // (a real token equal to padID counts as padding too, as in the book)
        var seenPad = false
        for i in shifted.indices where shifted[i] == padID {
            if seenPad { shifted[i] = ignoreIndex }
            seenPad = true
        }
        inputs += padded.prefix(width)
        targets += shifted.prefix(width)
    }
    return InstructionBatch(inputs: inputs, targets: targets, shape: [sequences.count, width])
}
