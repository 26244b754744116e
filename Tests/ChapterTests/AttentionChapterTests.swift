import Foundation
import XCTest

/// Chapters 3–6 run as a learner runs them, compared with their expected output, plus the
/// book's figures checked directly in the printed text and the errors for bad flags.
final class AttentionChapterTests: XCTestCase {
    func testChapter02MatchesExpectedOutput() throws {
        try assertMatchesExpected("Chapter02_TransformersAndSelfAttention")
    }

    func testChapter03MatchesExpectedOutput() throws {
        try assertMatchesExpected("Chapter03_SimplifiedSelfAttention")
    }

    func testChapter04MatchesExpectedOutput() throws {
        try assertMatchesExpected("Chapter04_SelfAttentionWithWeights")
    }

    func testChapter05MatchesExpectedOutput() throws {
        try assertMatchesExpected("Chapter05_CausalAttention")
    }

    func testChapter06MatchesExpectedOutput() throws {
        try assertMatchesExpected("Chapter06_MultiHeadAttention")
    }

    /// Chapter 2's untrained model against the same model built in PyTorch
    /// (Tests/Fixtures/untrained-gpt/make_untrained.py): top and bottom probabilities, the
    /// logits' spread, the sentence's loss, the loss over every target, and ln V.
    func testChapter02UntrainedFiguresMatchPyTorch() throws {
        let out = try runChapter("Chapter02_TransformersAndSelfAttention").stdout
        let url = packageRoot.appendingPathComponent("Tests/Fixtures/untrained-gpt/untrained.json")
        let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        func number(_ key: String) throws -> Double { try XCTUnwrap(reference[key] as? Double, key) }
        func int(_ key: String) throws -> Int { try XCTUnwrap(reference[key] as? Int, key) }
        let flat = out.replacingOccurrences(of: "\n", with: " ")
        for expected in ["next token is id \(try int("top_id")) \" Draw\" with probability \(String(format: "%.6f", try number("top_probability")))",
                         "least likely id \(try int("bottom_id"))", "with \(String(format: "%.6f", try number("bottom_probability")));",
                         "mean \(String(format: "%.4f", try number("logit_mean"))), standard deviation σ = \(String(format: "%.4f", try number("logit_std")))",
                         "1/50,257 = \(String(format: "%.6f", 1 / 50257.0))"] {
            XCTAssertTrue(flat.contains(expected), "missing: \(expected)")
        }
        func printedLoss(_ prefix: String) throws -> Double {
            let line = try XCTUnwrap(out.split(separator: "\n").first { $0.hasPrefix(prefix) }, "no line \(prefix)")
            return try XCTUnwrap(Double(line.split(separator: " ").last!), String(line))
        }
        XCTAssertEqual(try printedLoss("this sentence's own next tokens"), try number("sentence_loss"), accuracy: 1e-4)
        XCTAssertEqual(try printedLoss("averaged over all 50,257"), try number("mean_loss_over_vocabulary"), accuracy: 1e-4)
        XCTAssertEqual(try printedLoss("a uniform guess: ln V"), log(50257), accuracy: 5e-5)
        let sigma = try number("logit_std")
        XCTAssertEqual(try printedLoss("   which for random logits"), log(50257) + sigma * sigma / 2, accuracy: 1e-4)
    }

    /// One heatmap convention course-wide: every cell's shade is the nearest of five on the fixed
    /// scale its legend states (recomputed here from the printed value), and every heatmap of
    /// chapters 2, 3 and 5 has that legend under it.
    func testHeatmapsShadeOnTheirLegendsFixedScale() throws {
        let shades: [Character] = [" ", "░", "▒", "▓", "█"]
        for chapter in ["Chapter02_TransformersAndSelfAttention", "Chapter03_SimplifiedSelfAttention", "Chapter05_CausalAttention"] {
            let lines = try runChapter(chapter).stdout.components(separatedBy: "\n")
            let legends = lines.indices.filter { lines[$0].hasPrefix("shading, fixed scale ") }
            XCTAssertFalse(legends.isEmpty, "\(chapter) prints no heatmap legend")
            for legend in legends {
                let scale = lines[legend].dropFirst("shading, fixed scale ".count).prefix { $0 != ":" }.components(separatedBy: " to ")
                let (lo, hi) = (Double(scale[0])!, Double(scale[1])!)
                var row = legend - 1, cells = 0
                // the rows above the legend, up to the column labels: "label  ░0.21  -0.99 …"
                while row > 0, lines[row].contains(".") {
                    for token in lines[row].split(separator: " ") where token.contains(".") {
                        let shade = token.first.flatMap { shades.contains($0) ? $0 : nil } ?? " "
                        guard let value = Double(shade == " " ? token : token.dropFirst()) else { continue }
                        let expected = shades[min(4, max(0, Int(((value - lo) / (hi - lo) * 4).rounded())))]
                        XCTAssertEqual(shade, expected, "\(chapter): \(token) on the scale \(lo)…\(hi)")
                        cells += 1
                    }
                    row -= 1
                }
                XCTAssertGreaterThan(cells, 0, "\(chapter): no cells above the legend at line \(legend + 1)")
            }
        }
    }

    /// Chapter 6's KV-cache table, recomputed from the published configurations (head size
    /// from config.json: GPT-2 768/12 and 1600/25 = 64, Llama 4096/32 and 8192/64 = 128; context
    /// 1,024 for GPT-2, 4,096 for Llama 2, 8,192 for Llama 3): 2 (K, V) × layers × kv heads ×
    /// head size × 2 bytes, per token and for one full context — never past a model's context.
    func testChapter06KVCacheTable() throws {
        let out = try runChapter("Chapter06_MultiHeadAttention").stdout
        let models: [(String, layers: Int, kvHeads: Int, headDim: Int, context: Int)] = [
            ("GPT-2 small (MHA)", 12, 12, 64, 1024), ("GPT-2 XL (MHA)", 48, 25, 64, 1024), ("Llama 2 7B (MHA)", 32, 32, 128, 4096),
            ("Llama 3 8B (GQA, 8 kv heads)", 32, 8, 128, 8192), ("Llama 3 70B (GQA, 8 kv heads)", 80, 8, 128, 8192),
            ("a 7B model with MQA", 32, 1, 128, 4096),
        ]
        for model in models {
            let line = try XCTUnwrap(out.split(separator: "\n").first { $0.hasPrefix(model.0 + " ") }, model.0)
            let perToken = 2 * model.layers * model.kvHeads * model.headDim * 2
            let cells = line.dropFirst(model.0.count).split(separator: " ").filter { $0 != "/" }
            XCTAssertEqual(cells[0], "\(model.layers)", model.0)
            XCTAssertEqual(cells[2], "\(model.kvHeads)", model.0)
            XCTAssertEqual(Int(cells[3].replacingOccurrences(of: ",", with: "")), perToken / 1024, model.0)
            XCTAssertEqual(Int(cells[5].replacingOccurrences(of: ",", with: "")), model.context, model.0)
            XCTAssertEqual(Int(cells[6].replacingOccurrences(of: ",", with: "")), perToken * model.context / 1_048_576, model.0)
        }
    }

    /// 6.7's table of what the shipped model's 16 heads look at, against the same measures
    /// computed by transformers from its own attention weights
    /// (Tests/Fixtures/trained-attention/make_trained_attention.py, in the file's metadata);
    /// `--svg` writes all 16 heatmaps; `--layer`/`--head` choose the head shown.
    func testChapter06TrainedHeadsAgainstTransformers() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chapter06-svg-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try runChapter("Chapter06_MultiHeadAttention", ["--svg", directory.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let file = try Data(contentsOf: packageRoot.appendingPathComponent("Tests/Fixtures/trained-attention/attention.safetensors"))
        let headerLength = Int(file.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: file.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        let metadata = try XCTUnwrap(header["__metadata__"] as? [String: String])
        XCTAssertTrue(run.stdout.contains("reading\na real line, \"\(metadata["line"]!)\"") || run.stdout.contains(metadata["line"]!))
        let measures = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(metadata["measures"]!.utf8)) as? [[String: Any]])
        XCTAssertEqual(measures.count, 16)
        let lines = run.stdout.components(separatedBy: "\n")
        for m in measures {
            let name = "\(m["layer"] as! Int).\(m["head"] as! Int)"
            let line = try XCTUnwrap(lines.first { $0.hasPrefix(name + " ") }, name)
            let cells = line.split(separator: " ").filter { $0 != "%" }
            for (c, key) in ["self", "previous", "word_start", "first"].enumerated() {
                XCTAssertEqual(Double(cells[1 + c])!, (m[key] as! Double) * 100, accuracy: 0.5 + 1e-3, "\(name) \(key)")
            }
            XCTAssertEqual(Double(cells[5])!, m["distance"] as! Double, accuracy: 0.05 + 1e-4, "\(name) distance")
            let svg = try String(contentsOf: directory.appendingPathComponent("chapter06-layer\(m["layer"]!)-head\(m["head"]!).svg"), encoding: .utf8)
            XCTAssertTrue(svg.hasPrefix("<svg"))
        }
        XCTAssertTrue(run.stdout.contains("2.0 ") && run.stdout.contains("the start of the current word"))
        let one = try runChapter("Chapter06_MultiHeadAttention", ["--layer", "3", "--head", "1"])
        XCTAssertEqual(one.stdout.components(separatedBy: "\nlayer ").count - 1, 1)
        XCTAssertTrue(one.stdout.contains("\nlayer 3, head 1 — "))
        for bad in [["--layer", "4", "--head", "0"], ["--layer", "1"], ["--text", "日本"]] {
            let refused = try runChapter("Chapter06_MultiHeadAttention", bad)
            XCTAssertEqual(refused.status, 2, "\(bad)")
        }
    }

    /// 4.7's table against PyTorch drawing the same numbers from the same seed
    /// (Tests/Fixtures/scaled-attention/make_scaling.py), and against the theory: var(q·k) ≈ d.
    /// And `--no-scale` feeds the raw scores to the softmax.
    func testChapter04ScalingAgainstPyTorch() throws {
        let out = try runChapter("Chapter04_SelfAttentionWithWeights").stdout
        let url = packageRoot.appendingPathComponent("Tests/Fixtures/scaled-attention/scaling.json")
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[String: Double]])
        let lines = out.components(separatedBy: "\n")
        for row in rows {
            let d = Int(row["d"]!)
            let line = try XCTUnwrap(lines.first { $0.range(of: "^ *\(d)  ", options: .regularExpression) != nil }, "d = \(d)")
            let cells = line.split(separator: " ").map { Double($0)! }
            let keys = ["variance", "scaled_variance", "max_weight", "sensitivity", "scaled_max_weight", "scaled_sensitivity"]
            for (c, key) in keys.enumerated() {
                XCTAssertEqual(cells[1 + c], row[key]!, accuracy: c == 0 ? 0.006 : 6e-4, "d = \(d) \(key)")
            }
            XCTAssertEqual(cells[1] / Double(d), 1, accuracy: 0.05, "var(q·k) ≈ d")
        }
        let raw = try runChapter("Chapter04_SelfAttentionWithWeights", ["--no-scale"]).stdout
        XCTAssertTrue(raw.contains("weights = softmax(scores)  [6]"))
        // softmax of the book's raw scores [1.2705, 1.8524, 1.8111, 1.0795, 0.5577, 1.5440]
        let scores = [1.2705, 1.8524, 1.8111, 1.0795, 0.5577, 1.5440].map { exp($0) }
        XCTAssertTrue(raw.contains("largest weight: \(String(format: "%.4f", scores[1] / scores.reduce(0, +)))"), raw)
    }

    /// The book's printed numbers (Raschka, ch. 3), found in each chapter's output.
    func testBookFigures() throws {
        let figures: [(String, [String])] = [
            ("Chapter03_SimplifiedSelfAttention", [
                "tensor([0.9544, 1.4950, 1.4754, 0.8434, 0.7070, 1.0865])",
                "tensor([0.1455, 0.2278, 0.2249, 0.1285, 0.1077, 0.1656])",
                "tensor([0.1385, 0.2379, 0.2333, 0.1240, 0.1082, 0.1581])",
                "tensor([0.4419, 0.6515, 0.5683])",
                "tensor([[0.4421, 0.5931, 0.5790],",
            ]),
            ("Chapter04_SelfAttentionWithWeights", [
                "tensor([0.4306, 1.4551])",
                "tensor(1.8524)",
                "tensor([1.2705, 1.8524, 1.8111, 1.0795, 0.5577, 1.5440])",
                "tensor([0.1500, 0.2264, 0.2199, 0.1311, 0.0906, 0.1820])",
                "tensor([0.3061, 0.8210])",
                "tensor([[0.2996, 0.8053],",
                "tensor([[-0.0739,  0.0713],",
            ]),
            ("Chapter05_CausalAttention", [
                "tensor([[0.1921, 0.1646, 0.1652, 0.1550, 0.1721, 0.1510],",
                "        [0.5517, 0.4483, 0.0000, 0.0000, 0.0000, 0.0000],",
                "        [0.2175, 0.1983, 0.1984, 0.1888, 0.1971, 0.0000],",
                "tensor([[[-0.4519,  0.2216],",
                "         [-0.5299, -0.1081]]], grad_fn=<UnsafeViewBackward0>)",
                // the book's dropout masks (seed 123, p = 0.5)
                "tensor([[2., 2., 0., 2., 2., 0.],\n        [0., 0., 0., 2., 0., 2.],",
                "        [0.7599, 0.6194, 0.6206, 0.0000, 0.0000, 0.0000],",
            ]),
            ("Chapter06_MultiHeadAttention", [
                "tensor([[[-0.4519,  0.2216,  0.4772,  0.1063],",
                "         [-0.5299, -0.1081,  0.5077,  0.3493]],",
                "tensor([[[0.3190, 0.4858],",
                "         [0.2575, 0.4028]]], grad_fn=<ViewBackward0>)",
            ]),
        ]
        for (chapter, lines) in figures {
            let run = try runChapter(chapter)
            for line in lines {
                XCTAssertTrue(run.stdout.contains(line), "\(chapter) does not print \(line)")
            }
        }
    }

    func testHelpAndBadFlags() throws {
        for chapter in ["Chapter02_TransformersAndSelfAttention", "Chapter03_SimplifiedSelfAttention", "Chapter04_SelfAttentionWithWeights", "Chapter05_CausalAttention",
                        "Chapter06_MultiHeadAttention", "Chapter07_IntroducingTransformers", "Chapter08_AddAndNormalize", "Chapter09_FeedForwardNetwork", "Chapter10_AddAndNormalizeAgain", "Chapter11_LinearLayerAndProjection",
                        "Chapter12_FindingTheNextWord", "Chapter13_AutoregressiveLoopAndKVCache", "Chapter01_DataAndTokenization"] {
            let help = try runChapter(chapter, ["--help"])
            XCTAssertEqual(help.status, 0)
            XCTAssertTrue(help.stdout.contains("Usage: swift run \(chapter)"), help.stdout)
            let bad = try runChapter(chapter, ["--sead", "1"])
            XCTAssertEqual(bad.status, 2)
            XCTAssertEqual(bad.stdout, "")
            XCTAssertTrue(bad.stderr.hasPrefix("error: unknown flag --sead"), bad.stderr)
        }
        let notANumber = try runChapter("Chapter04_SelfAttentionWithWeights", ["--d-out", "two"])
        XCTAssertEqual(notANumber.status, 2)
        XCTAssertTrue(notANumber.stderr.contains("--d-out: 'two' is not a valid integer"), notANumber.stderr)
        let badHeads = try runChapter("Chapter06_MultiHeadAttention", ["--heads", "4", "--kv-heads", "3"])
        XCTAssertEqual(badHeads.status, 2)
        XCTAssertTrue(badHeads.stderr.contains("--kv-heads (3) must be at least 1 and divide --heads (4)"), badHeads.stderr)
        let unknownWord = try runChapter("Chapter03_SimplifiedSelfAttention", ["--query", "dog"])
        XCTAssertEqual(unknownWord.status, 2)
        XCTAssertTrue(unknownWord.stderr.contains("--query dog is not one of the words"), unknownWord.stderr)
    }

    func testSVGIsWrittenOnRequest() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chapter05-svg-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try runChapter("Chapter05_CausalAttention", ["--svg", directory.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let svg = try String(contentsOf: directory.appendingPathComponent("chapter05-causal-attention.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg"))
        XCTAssertTrue(svg.contains(">0.55<"))   // the cell (journey, Your)
    }
}
