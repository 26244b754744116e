// Misuse of the library stops the program with a message naming the mistake, in debug and
// release builds alike: each case of Tests/MisuseProbe runs in a child process, which must end
// in failure (not print a result) with the expected words on its standard error.

import Foundation
import XCTest

final class MisuseTests: XCTestCase {
    /// The probe, built beside the test bundle (this target depends on it).
    static let probe: URL = {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("MisuseProbe")
        }
        #endif
        return Bundle.main.bundleURL.appendingPathComponent("MisuseProbe")
    }()

    /// Runs the probe's `name` case and checks it failed with every one of `words` on stderr.
    func assertStops(_ name: String, saying words: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.probe.path) else {
            XCTFail("MisuseProbe is not built at \(Self.probe.path)", file: file, line: line)
            return
        }
        let process = Process()
        process.executableURL = Self.probe
        process.arguments = [name]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"       // the message is enough; no seconds of backtrace
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()   // small: one message
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = String(decoding: errData, as: UTF8.self), stdout = String(decoding: outData, as: UTF8.self)
        let failed = process.terminationReason == .uncaughtSignal || process.terminationStatus != 0
        XCTAssertTrue(failed, "\(name): the probe exited normally; it printed \(stdout.debugDescription)", file: file, line: line)
        XCTAssertEqual(stdout, "", "\(name): a result was printed, so the mistake went through", file: file, line: line)
        for word in words {
            XCTAssertTrue(stderr.contains(word), "\(name): stderr lacks \(word.debugDescription): \(stderr)", file: file, line: line)
        }
    }

    func testMatmulWithMismatchedInnerSizes() throws {
        try assertStops("matmul", saying: ["matmul: [2, 3] × [4, 5]: inner dimensions 3 and 4 differ"])
    }

    func testBroadcastingIncompatibleShapes() throws {
        try assertStops("broadcast", saying: ["shapes [2, 3] and [4] cannot be broadcast"])
    }

    func testEmbeddingIdPastTheVocabulary() throws {
        try assertStops("embedding-id", saying: ["embedding: id 12 is out of range for a vocabulary of 10 (weight [10, 4])"])
    }

    func testCrossEntropyTargetPastTheClasses() throws {
        try assertStops("cross-entropy-target", saying: ["crossEntropy: target 7 (row 1) is out of range for 5 classes (logits [2, 5]"])
    }

    func testReshapeToAnotherElementCount() throws {
        try assertStops("reshape", saying: ["reshape: shape [2, 3] (6 elements) cannot become [4, 2]"])
    }

    func testGPTForwardPastItsContext() throws {
        try assertStops("gpt-context", saying: ["GPTModel: 9 tokens (ids of shape [1, 9]) exceed the context length 8"])
    }

    func testLoadingACheckpointOfAnotherShape() throws {
        try assertStops("checkpoint-shape", saying: ["model.safetensors", "tensor transformer.wte.weight has shape [10, 8], expected [12, 8]"])
    }

    func testLoadingAStateDictOfAnotherShape() throws {
        try assertStops("state-dict-shape", saying: ["parameter wte.weight: expected shape [12, 8], got [10, 8]"])
    }

    func testLinearWithTheWrongInputWidth() throws {
        try assertStops("linear", saying: ["linear: input [2, 3] × weight [5, 4]: input features 3 and 4 differ"])
    }

    func testTensorWithTooFewValues() throws {
        try assertStops("tensor-data", saying: ["Tensor: shape [2, 3] holds 6 elements but data has 2"])
    }

    func testSelectPastTheAxis() throws {
        try assertStops("select", saying: ["select: index 5 is out of range for axis 0 of size 2"])
    }

    func testSoftmaxAlongAMissingAxis() throws {
        try assertStops("softmax-axis", saying: ["axis 2 is out of range for shape [2, 3]"])
    }

    func testConcatenatingShapesThatDiffer() throws {
        try assertStops("cat", saying: ["cat: shapes [2, 3], [2, 4] differ outside axis 0"])
    }

    /// The probe itself: an unknown case is a usage error, not a pass.
    func testTheProbeRefusesAnUnknownCase() throws {
        try assertStops("no-such-case", saying: ["usage: MisuseProbe CASE", "matmul"])
    }
}
