import Foundation
import XCTest

/// Every chapter README starts with a map from concepts to code. The map must not rot: every
/// file it names exists, and every type or function it names in backticks is declared in the
/// course's sources (`class`, `struct`, `enum`, `func`, `let`, `var` or `case`).
final class ReadmeMapTests: XCTestCase {
    func testEveryChapterMapNamesRealFilesAndDeclarations() throws {
        let fm = FileManager.default
        let chapters = try fm.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("Chapters").path)
            .filter { $0.hasPrefix("Chapter") }.sorted()
        XCTAssertEqual(chapters.count, 14)
        // every Swift source of the course, for the declarations
        var sources = ""
        for root in ["Shared", "Chapters"] {
            let enumerator = fm.enumerator(atPath: packageRoot.appendingPathComponent(root).path)!
            while let path = enumerator.nextObject() as? String {
                guard path.hasSuffix(".swift") else { continue }
                sources += try String(contentsOf: packageRoot.appendingPathComponent(root).appendingPathComponent(path), encoding: .utf8)
            }
        }
        for chapter in chapters {
            let readme = try String(contentsOf: packageRoot.appendingPathComponent("Chapters/\(chapter)/README.md"), encoding: .utf8)
            let lines = readme.components(separatedBy: "\n")
            XCTAssertTrue(lines[0].hasPrefix("# Chapter"), chapter)
            XCTAssertEqual(lines[2], "| | |", "\(chapter): the README starts with its map")
            let map = lines.dropFirst(2).prefix { $0.hasPrefix("|") }.joined(separator: "\n")
            XCTAssertTrue(map.contains("| reproduces |"), chapter)
            let names = map.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            XCTAssertFalse(names.isEmpty, chapter)
            for name in names {
                if name.hasSuffix(".swift") {
                    let path = name.hasPrefix("Shared/") ? name : nil
                    let found = path.map { fm.fileExists(atPath: packageRoot.appendingPathComponent($0).path) }
                        ?? fileNamed(name, under: ["Shared", "Chapters/\(chapter)"])
                    XCTAssertTrue(found, "\(chapter): the map names \(name), which does not exist")
                } else if name.range(of: #"^[A-Za-z_][A-Za-z0-9_.]*(\(\))?$"#, options: .regularExpression) != nil,
                          !name.hasPrefix("Tests"), !name.contains("_") {          // snake_case: the book's Python names
                    let last = String(name.split(separator: ".").last!).replacingOccurrences(of: "()", with: "")
                    let declared = ["class", "struct", "enum", "func", "let", "var", "case [A-Za-z, ]*"].contains { keyword in
                        sources.range(of: "\(keyword) \(last)\\b", options: .regularExpression) != nil
                    }
                    XCTAssertTrue(declared, "\(chapter): the map names \(name), declared nowhere in Shared/ or Chapters/")
                }
            }
        }
    }

    private func fileNamed(_ name: String, under roots: [String]) -> Bool {
        roots.contains { root in
            let enumerator = FileManager.default.enumerator(atPath: packageRoot.appendingPathComponent(root).path)
            while let path = enumerator?.nextObject() as? String { if (path as NSString).lastPathComponent == name { return true } }
            return false
        }
    }
}
