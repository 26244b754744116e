// Tokenizer speed: GPT-2 encoding of tiny Shakespeare, the figure the README compares with
// tiktoken's single-thread speed (`enc.encode(text)` on the same file), and the same with
// GPT-2's tokenizer.json, compared with the `tokenizers` library's (hf_tokenizers_encode.py).

import Foundation
import Tokenizers

/// The package root, so the benchmark finds data/ wherever it is run from.
private let tokenizerBenchmarkRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// GPT-2 encoding of data/tinyshakespeare.txt (1,115,394 characters, 1.1 MB → 338,025 tokens),
/// one thread, in MB/s (10⁶ bytes of UTF-8 per second). Best of 5 runs, each with a fresh
/// tokenizer so that its chunk cache starts empty, as tiktoken's does; building the tokenizer
/// is not timed.
func benchmarkGPT2Encode() -> Double {
    let data = tokenizerBenchmarkRoot.appendingPathComponent("data")
    let text = try! String(contentsOf: data.appendingPathComponent("tinyshakespeare.txt"), encoding: .utf8)
    var best = Double.infinity
    for _ in 0..<5 {
        let tokenizer = try! GPT2Tokenizer(directory: data.appendingPathComponent("gpt2"))
        let start = DispatchTime.now().uptimeNanoseconds
        let count = tokenizer.encode(text).count
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        precondition(count == 338_025, "benchmarkGPT2Encode: \(count) tokens, expected 338,025")
        best = min(best, seconds)
    }
    return Double(text.utf8.count) / best / 1e6
}

/// GPT-2's tokenizer.json (Tests/Fixtures/hf/tokenizer-json/gpt2) encoding tiny Shakespeare, one
/// thread, MB/s; best of 5, each with a fresh tokenizer (empty cache), loading not timed — as
/// hf_tokenizers_encode.py measures `Tokenizer.from_file(…).encode(text)`.
func benchmarkHuggingFaceGPT2Encode() -> Double {
    let text = try! String(contentsOf: tokenizerBenchmarkRoot.appendingPathComponent("data/tinyshakespeare.txt"), encoding: .utf8)
    let file = tokenizerBenchmarkRoot.appendingPathComponent("Tests/Fixtures/hf/tokenizer-json/gpt2/tokenizer.json")
    var best = Double.infinity
    for _ in 0..<5 {
        let tokenizer = try! HuggingFaceTokenizer(contentsOf: file)
        let start = DispatchTime.now().uptimeNanoseconds
        let count = tokenizer.encode(text).count
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        precondition(count == 338_025, "benchmarkHuggingFaceGPT2Encode: \(count) tokens, expected 338,025")
        best = min(best, seconds)
    }
    return Double(text.utf8.count) / best / 1e6
}
