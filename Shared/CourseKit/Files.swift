// Finding the course's data and writing files safely.

import Foundation
import TensorKit

/// The course's `data/` directory: `./data` when run from the package root (as the READMEs
/// say), else the one beside the sources this program was built from.
public func dataDirectory() -> URL {
    let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("data")
    if FileManager.default.fileExists(atPath: here.path) { return here }
    // Shared/CourseKit/Files.swift → package root
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent("data")
}

/// A file in `data/`, or a `InputError` if it is not there.
public func dataFile(_ name: String) throws -> URL {
    let url = dataDirectory().appendingPathComponent(name)
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw InputError(path: "data/\(name)", problem: "not found",
                              hint: "run the chapter from the package root (where Package.swift is)")
    }
    return url
}

/// Reads a UTF-8 text file from `data/`.
public func readDataText(_ name: String) throws -> String {
    let url = try dataFile(name)
    guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
        throw InputError(path: url.path, problem: "cannot be read as UTF-8 text")
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
        throw InputError(path: directory.path, problem: "cannot create the directory (\(error.localizedDescription))",
                              hint: "choose a directory you can write to")
    }
    try writeFileAtomically(data, to: url)
}
