// `Chapter01_DataAndTokenization encode hf TOKENIZER_JSON FILE.jsonl` and
// `… decode hf TOKENIZER_JSON FILE.jsonl`: any Hugging Face tokenizer.json, checked against the
// `tokenizers` library from the command line.
//
// encode reads lines {"text": …} and prints, per line, one JSON array of ids (the special
// tokens the post-processor adds included: the library's `encode(text).ids`); decode reads lines
// {"ids": […]} and prints, per line, one JSON string (special tokens kept: the library's
// `decode(ids, skip_special_tokens=False)`). Blank lines are skipped. Nothing is printed unless
// every line succeeds.

import CourseKit
import Foundation
import Tokenizers

/// Runs `encode hf TOKENIZER_JSON FILE.jsonl` or `decode hf TOKENIZER_JSON FILE.jsonl`
/// (`arguments` starts with the verb).
func runHuggingFaceCommand(_ arguments: [String], options: Options) -> Never {
    let usage = "usage: encode hf TOKENIZER_JSON FILE.jsonl | decode hf TOKENIZER_JSON FILE.jsonl"
    guard arguments.count == 4, arguments[1] == "hf" else { options.fail("\(arguments.joined(separator: " ")): \(usage)") }
    let (verb, tokenizerPath, inputPath) = (arguments[0], arguments[2], arguments[3])
    let tokenizer: HuggingFaceTokenizer
    do {
        tokenizer = try HuggingFaceTokenizer(contentsOf: URL(fileURLWithPath: tokenizerPath))
    } catch {
        options.fail("\(error)")
    }
    guard let data = FileManager.default.contents(atPath: inputPath) else {
        options.fail("\(inputPath): cannot be read (no such file, or no permission)")
    }
    guard let text = String(data: data, encoding: .utf8) else { options.fail("\(inputPath): is not UTF-8 text") }
    var output = ""
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
        let place = "\(inputPath): line \(number + 1)"
        if verb == "encode" {
            // JSONDecoder, not JSONSerialization: on Linux the latter drops a U+FEFF at the start of a string.
            guard let input = try? JSONDecoder().decode(TextLine.self, from: Data(line.utf8)).text else {
                options.fail("\(place) is not a JSON object with a \"text\" string")
            }
            do {
                output += "[" + (try tokenizer.encode(input, addSpecialTokens: true)).map(String.init).joined(separator: ", ") + "]\n"
            } catch {
                options.fail("\(place): \(error)")
            }
        } else {
            guard let ids = try? JSONDecoder().decode(IDsLine.self, from: Data(line.utf8)).ids else {
                options.fail("\(place) is not a JSON object with an \"ids\" array of integers")
            }
            if let bad = ids.first(where: { tokenizer.token(of: $0) == nil }) {
                options.fail("\(place): the id \(bad) is no token of \(tokenizerPath) (vocabulary size \(tokenizer.vocabularySize))")
            }
            output += jsonString(tokenizer.decode(ids)) + "\n"
        }
    }
    print(output, terminator: "")
    exit(0)
}

/// One line of decode's input: only its "ids" field is read.
struct IDsLine: Decodable {
    let ids: [Int]
}

/// `text` as a JSON string: quotes, backslashes and control characters escaped, everything
/// else as it is (UTF-8).
func jsonString(_ text: String) -> String {
    var out = "\""
    for s in text.unicodeScalars {
        switch s {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where s.value < 0x20: out += String(format: "\\u%04x", s.value)
        default: out.unicodeScalars.append(s)
        }
    }
    return out + "\""
}
