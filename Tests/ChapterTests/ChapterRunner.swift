// Runs a chapter's real program, as a learner would, and compares what it prints with a
// committed expected file in Tests/ExpectedOutputs/. To change an expected file on purpose:
//
//     UPDATE_EXPECTED=1 swift test --filter ChapterTests
//
// then read the diff (`git diff Tests/ExpectedOutputs`) before committing it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import XCTest

/// The package root (where Package.swift is): chapters are run from there, as the READMEs say.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The directory the built products (chapter executables) are in.
let productsDirectory: URL = {
    #if os(macOS)
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        return bundle.bundleURL.deletingLastPathComponent()
    }
    fatalError("cannot find the products directory")
    #else
    return Bundle.main.bundleURL
    #endif
}()

/// What a finished chapter run printed, and how it exited.
struct ChapterRun {
    let stdout: String
    let stderr: String
    let status: Int32
}

/// A chapter's program that is not where the tests look for it: a failure, never a skip (a
/// test that cannot run its chapter has checked nothing).
struct MissingChapter: Error, CustomStringConvertible {
    let chapter: String
    let path: String
    var description: String { "\(chapter) is not built at \(path) (the test targets depend on every chapter; run swift build)" }
}

/// The built program of `chapter`; throws `MissingChapter` (failing the test) when it is not there.
func chapterExecutable(_ chapter: String) throws -> URL {
    let executable = productsDirectory.appendingPathComponent(chapter)
    guard FileManager.default.isExecutableFile(atPath: executable.path) else {
        throw MissingChapter(chapter: chapter, path: executable.path)
    }
    return executable
}

/// Runs `chapter` with `arguments` from the package root and waits for it; `environment` adds
/// to (or replaces) the test's own environment variables. With `input`, that text is its
/// standard input (then the end of input), as from a pipe.
func runChapter(_ chapter: String, _ arguments: [String] = [], environment: [String: String] = [:], input: String? = nil,
                timeout: TimeInterval = 300) throws -> ChapterRun {
    let executable = try chapterExecutable(chapter)
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = packageRoot
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let inputPipe = input.map { _ in Pipe() }
    if let inputPipe { process.standardInput = inputPipe }
    try process.run()
    if let input, let inputPipe {
        // written on another thread: a program that does not read it must not block the test
        signal(SIGPIPE, SIG_IGN)                 // a program that exits early: an error to ignore, not a signal
        let writer = inputPipe.fileHandleForWriting
        DispatchQueue.global().async {
            try? writer.write(contentsOf: Data(input.utf8))
            try? writer.close()
        }
    }
    // Stop a run that hangs; read stderr on another thread so neither pipe can fill and block.
    let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    let errBox = DataBox()
    let readErr = DispatchWorkItem { errBox.data = err.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(execute: readErr)
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    readErr.wait()
    watchdog.cancel()
    process.waitUntilExit()
    if process.terminationReason == .uncaughtSignal {
        XCTFail("\(chapter) \(arguments.joined(separator: " ")) was stopped (crash, or no end within \(Int(timeout)) s)")
    }
    return ChapterRun(stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errBox.data, as: UTF8.self),
                      status: process.terminationStatus)
}

/// Holds what the stderr reader read (written once, read after it finished).
final class DataBox: @unchecked Sendable {
    var data = Data()
}

/// Runs `chapter` and compares its standard output with `Tests/ExpectedOutputs/<name>.txt`
/// (`name` defaults to the chapter's name). With `UPDATE_EXPECTED=1` it rewrites the file.
func assertMatchesExpected(_ chapter: String, _ arguments: [String] = [], name: String? = nil,
                           file: StaticString = #filePath, line: UInt = #line) throws {
    let run = try runChapter(chapter, arguments)
    XCTAssertEqual(run.status, 0, "\(chapter) exited with \(run.status): \(run.stderr)", file: file, line: line)
    let expectedURL = packageRoot.appendingPathComponent("Tests/ExpectedOutputs/\(name ?? chapter).txt")
    if ProcessInfo.processInfo.environment["UPDATE_EXPECTED"] == "1" {
        try Data(run.stdout.utf8).write(to: expectedURL)
        return
    }
    guard let expected = try? String(contentsOf: expectedURL, encoding: .utf8) else {
        XCTFail("no expected output at \(expectedURL.path); run UPDATE_EXPECTED=1 swift test to create it", file: file, line: line)
        return
    }
    if run.stdout != expected {
        let got = run.stdout.components(separatedBy: "\n"), want = expected.components(separatedBy: "\n")
        let first = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
        XCTFail("""
        \(chapter) output differs from \(expectedURL.lastPathComponent) first at line \(first + 1):
          expected: \(first < want.count ? want[first] : "<end of file>")
          got:      \(first < got.count ? got[first] : "<end of output>")
        (\(got.count) lines printed, \(want.count) expected; UPDATE_EXPECTED=1 swift test rewrites it on purpose)
        """, file: file, line: line)
    }
}
