// `Chapter01_DataAndTokenization encode …`: a stable command-line interface for checking the
// tokenizers against other implementations. Reads JSON Lines with a "text" field and prints,
// per input line and in order, one JSON array of ids.

import CourseKit
import Foundation
import TensorKit
import Tokenizers

/// Runs `encode gpt2 FILE`, `encode wordpiece VOCAB FILE` or `encode sentencepiece MODEL FILE`.
func runEncodeCommand(_ arguments: [String], options: Options) -> Never {
    let usage = "usage: encode gpt2 FILE.jsonl | encode wordpiece VOCAB.txt FILE.jsonl | encode sentencepiece MODEL FILE.jsonl"
        + " | encode hf TOKENIZER_JSON FILE.jsonl"
    guard let kind = arguments.first else { options.fail(usage) }
    let tokenizer: Tokenizer
    let inputPath: String
    do {
        switch (kind, arguments.count) {
        case ("gpt2", 2):
            tokenizer = try GPT2Tokenizer(directory: dataDirectory().appendingPathComponent("gpt2"))
            inputPath = arguments[1]
        case ("wordpiece", 3):
            tokenizer = try WordPieceTokenizer(vocabulary: URL(fileURLWithPath: arguments[1]))
            inputPath = arguments[2]
        case ("sentencepiece", 3):
            tokenizer = try SentencePieceTokenizer(model: URL(fileURLWithPath: arguments[1]))
            inputPath = arguments[2]
        default:
            options.fail("encode \(arguments.joined(separator: " ")): \(usage)")
        }
    } catch {
        options.fail("\(error)")
    }
    guard let data = FileManager.default.contents(atPath: inputPath), let text = String(data: data, encoding: .utf8) else {
        options.fail("\(inputPath): cannot be read as UTF-8 text")
    }
    var output = ""
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
        // JSONDecoder, not JSONSerialization: on Linux the latter drops a U+FEFF at the start of a string.
        guard let input = try? JSONDecoder().decode(TextLine.self, from: Data(line.utf8)).text else {
            options.fail("\(inputPath): line \(number + 1) is not a JSON object with a \"text\" string")
        }
        output += "[" + tokenizer.encode(input).map(String.init).joined(separator: ", ") + "]\n"
    }
    print(output, terminator: "")
    exit(0)
}

/// One line of the input: only its "text" field is read.
struct TextLine: Decodable {
    let text: String
}
