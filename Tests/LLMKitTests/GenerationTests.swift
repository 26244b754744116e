import Foundation
import TestSupport
import XCTest
@testable import LLMKit
import TensorKit

/// Generation: greedy output equal to Hugging Face's generate(do_sample=False) on the fixture
/// models, with and without the KV cache; and the sampling filters by hand.
final class GenerationTests: XCTestCase {
    func testGreedyMatchesHuggingFace() throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtureURL("generation/greedy.json"))) as! [String: Any]
        let cases = json["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 6)
        let models: [String: CausalLanguageModel] = [
            "gpt2-tiny": try GPTModel.load(huggingFace: fixtureURL("gpt2-tiny")),
            "llama-tiny": try LlamaModel.load(huggingFace: fixtureURL("llama-tiny")),
        ]
        for c in cases {
            let model = models[c["model"] as! String]!, prompt = c["prompt"] as! [Int], expected = c["generated"] as! [Int]
            for useCache in [true, false] {
                let got = generate(model, prompt: prompt, maxNewTokens: expected.count, useCache: useCache)
                XCTAssertEqual(got, expected, "\(c["model"]!) prompt \(prompt) cache \(useCache)")
            }
        }
    }

    /// Cached and uncached generation agree on a longer run, and the logits themselves agree.
    func testCacheGivesTheSameLogits() throws {
        let model = try GPTModel.load(huggingFace: fixtureURL("gpt2-tiny"))
        let ids = [5, 17, 923, 4, 88, 12]
        let full = withNoGrad { model(ids, shape: [1, 6]) }                       // (1, 6, V)
        let cache = model.makeCache()
        let prefill = withNoGrad { model(Array(ids.prefix(4)), shape: [1, 4], cache: cache) }
        let step5 = withNoGrad { model([ids[4]], shape: [1, 1], cache: cache) }
        let step6 = withNoGrad { model([ids[5]], shape: [1, 1], cache: cache) }
        XCTAssertEqual(cache.length, 6)
        let v = 1000
        for (row, got) in [(3, prefill.select(1, 3)), (4, step5.select(1, 0)), (5, step6.select(1, 0))] {
            let want = Array(full.data[(row * v)..<((row + 1) * v)])
            assertClose(got, want, absolute: 1e-5, "position \(row)")
        }
        XCTAssertEqual(generate(model, prompt: ids, maxNewTokens: 40, useCache: true),
                       generate(model, prompt: ids, maxNewTokens: 40, useCache: false))
    }

    func testFilters() {
        let logits: [Float] = [4.51, 0.89, -1.90, 6.75, 1.63, -1.62, -1.89, 6.28, 1.79]   // the book's toy vocabulary
        XCTAssertEqual(Sampler().next(logits), 3)                                           // "forward"
        let p = softmax(logits)
        XCTAssertEqual(p[3], 0.5721, accuracy: 1e-4)
        XCTAssertEqual(Filters.topK(logits, 3).filter { $0 > -.infinity }.count, 3)
        XCTAssertEqual(Filters.topK(logits, 3)[7], 6.28)
        // top-p 0.9: forward (0.57) + toward (0.34) = 0.91 ≥ 0.9
        XCTAssertEqual(Filters.topP(logits, 0.9).indices.filter { Filters.topP(logits, 0.9)[$0] > -.infinity }, [3, 7])
        // min-p 0.1: keep p ≥ 0.0572: closer (0.0609), forward, toward
        XCTAssertEqual(Filters.minP(logits, 0.1).indices.filter { Filters.minP(logits, 0.1)[$0] > -.infinity }, [0, 3, 7])
        XCTAssertEqual(Filters.repetitionPenalty([2, -2, 1], history: [0, 1], 2), [1, -4, 1])
        XCTAssertEqual(Filters.frequencyPenalty([2, -2, 1], history: [0, 0, 2], 0.5), [1, -2, 0.5])
        XCTAssertEqual(Filters.temperature([2, 4], 2), [1, 2])
    }

    func testSamplingIsSeededAndFollowsTheProbabilities() {
        let logits: [Float] = [4.51, 0.89, -1.90, 6.75, 1.63, -1.62, -1.89, 6.28, 1.79]
        let sampler = Sampler(greedy: false, seed: 123)
        var counts = [Int](repeating: 0, count: 9)
        for _ in 0..<10_000 { counts[sampler.next(logits)] += 1 }
        let p = softmax(logits)
        for i in 0..<9 { XCTAssertEqual(Double(counts[i]) / 10_000, Double(p[i]), accuracy: 0.015) }
        let again = Sampler(greedy: false, seed: 123)
        let first = (0..<20).map { _ in again.next(logits) }
        let other = Sampler(greedy: false, seed: 123)
        XCTAssertEqual((0..<20).map { _ in other.next(logits) }, first)
    }

    func testBeamSearchFindsTheBetterSequence() {
        // step 1: A 0.6, B 0.4; after A both continuations 0.5; after B one is 0.9 → B·x beats A·y
        let table: [[Int]: [Float]] = [[]: [log(0.6), log(0.4), -.infinity], [0]: [log(0.5), log(0.5), -.infinity],
                                       [1]: [log(0.05), log(0.05), log(0.9)]]
        let best = beamSearch(prompt: [], beams: 2, steps: 2) { seqs in seqs.map { table[$0] ?? [0, 0, 0] } }
        XCTAssertEqual(best[0].ids, [1, 2])
        XCTAssertEqual(best[0].logProbability, Float(log(0.4 * 0.9)), accuracy: 1e-5)
        let greedy = [0, (table[[0]]!.firstIndex(of: table[[0]]!.max()!))!]
        XCTAssertEqual(greedy, [0, 0])   // greedy would have committed to A
    }
}
