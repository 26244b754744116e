// Tokenizer speed: GPT-2 encoding of tiny Shakespeare, the figure the README compares with
// tiktoken's single-thread speed (`enc.encode(text)` on the same file).

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
