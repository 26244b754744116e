// Chapter 14's helpers for its inputs: reading the text, checking where the run writes, and
// catching Ctrl-C. (The flags themselves are declared at the top of main.swift.) Everything a
// learner might get wrong is reported before any training starts.

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

/// Stops with `error: …` and exit code 2 if `condition` fails.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { options.fail(message()) }
}

/// Runs `body`; an error (a missing file, a bad checkpoint) ends the program with its message.
func orFail<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch { options.fail("\(error)") }
}

// MARK: - The text

/// The text of `--dataset`: a file in data/ by name, or any path.
func readDataset(_ name: String) throws -> (name: String, text: String) {
    let named = ["the-verdict": "the-verdict.txt", "tinyshakespeare": "tinyshakespeare.txt"]
    let url = try named[name].map { try dataFile($0) } ?? URL(fileURLWithPath: name)
    guard let data = FileManager.default.contents(atPath: url.path) else {
        throw InputError(path: url.path, problem: "not found or not readable", hint: "--dataset takes the-verdict, tinyshakespeare or a path to a text file")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw InputError(path: url.path, problem: "is not UTF-8 text")
    }
    guard !text.isEmpty else { throw InputError(path: url.path, problem: "is empty", hint: "train on a text of at least a few thousand characters") }
    return (named[name] == nil ? url.path : name, text)
}

// MARK: - Where the run writes

/// Checks that `--out` can be written before any work is done.
func checkWritable(_ directory: URL) {
    let fm = FileManager.default
    let probe = directory.appendingPathComponent(".write-test-\(getpid())")
    do {
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data().write(to: probe)
        try fm.removeItem(at: probe)
    } catch {
        options.fail("\(directory.path): cannot write there (\(error.localizedDescription))\nhint: choose a writable directory with --out")
    }
}

/// The checkpoint directory inside a run directory (or the directory itself if it is one).
func checkpointDirectory(_ path: String) -> URL {
    let url = URL(fileURLWithPath: path)
    let inner = lastCompleteCheckpoint(url.appendingPathComponent("checkpoint"))   // checkpoint, or checkpoint.previous after a killed save
    return FileManager.default.fileExists(atPath: inner.path) ? inner : url
}

// MARK: - Ctrl-C

/// Set when the user presses Ctrl-C; the loop saves a checkpoint after the current step.
final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var source: DispatchSourceSignal?
    var requested: Bool { lock.lock(); defer { lock.unlock() }; return flag }

    func install() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [self] in
            lock.lock(); flag = true; lock.unlock()
            FileHandle.standardError.write(Data("\nCtrl-C: saving a checkpoint after this step…\n".utf8))
        }
        source.resume()
        self.source = source
    }
}

/// A learning rate as people write it: 1e-03 → "1e-3", 0.0004 → "4e-4", 0.00025 → "2.5e-4".
func scientific(_ x: Float) -> String {
    guard x > 0 else { return "0" }
    let exponent = Int(Foundation.floor(Foundation.log10(Double(x))))
    let mantissa = Double(x) / Foundation.pow(10, Double(exponent))
    let m = String(format: "%.2f", mantissa).replacingOccurrences(of: "\\.?0+$", with: "", options: .regularExpression)
    return "\(m)e\(exponent)"
}
