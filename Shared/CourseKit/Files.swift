// Finding the course's data and writing files safely.

import Foundation
import TensorKit

/// Why a course file could not be read or written.
public struct CourseFileError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public let hint: String

    public init(path: String, problem: String, hint: String = "") {
        self.path = path
        self.problem = problem
        self.hint = hint
    }

    public var description: String {
        "\(path): \(problem)" + (hint.isEmpty ? "" : "\nhint: \(hint)")
    }
}

/// The course's `data/` directory: `./data` when run from the package root (as the READMEs
/// say), else the one beside the sources this program was built from.
public func dataDirectory() -> URL {
    let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("data")
    if FileManager.default.fileExists(atPath: here.path) { return here }
    // Shared/CourseKit/Files.swift → package root
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent("data")
}

/// A file in `data/`, or a `CourseFileError` if it is not there.
public func dataFile(_ name: String) throws -> URL {
    let url = dataDirectory().appendingPathComponent(name)
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw CourseFileError(path: "data/\(name)", problem: "not found",
                              hint: "run the chapter from the package root (where Package.swift is)")
    }
    return url
}

/// Reads a UTF-8 text file from `data/`.
public func readDataText(_ name: String) throws -> String {
    let url = try dataFile(name)
    guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
        throw CourseFileError(path: url.path, problem: "cannot be read as UTF-8 text")
    }
    return text
}

/// Writes `data` to `url` through a temporary file in the same directory and a rename, so a
/// crash or a full disk never leaves a half-written file behind. Creates the directory.
public func writeAtomically(_ data: Data, to url: URL) throws {
    let directory = url.deletingLastPathComponent()
    do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
        throw CourseFileError(path: directory.path, problem: "cannot create the directory (\(error.localizedDescription))",
                              hint: "choose a directory you can write to")
    }
    do {
        try writeFileAtomically(data, to: url)
    } catch let error as SafeTensorsError {
        throw CourseFileError(path: error.path, problem: error.problem, hint: error.hint)
    }
}
