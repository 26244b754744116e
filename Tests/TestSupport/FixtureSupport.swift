// Helpers every test target shares: where the fixtures are, and how to read them.

import Foundation

/// The package root, found from this file's path (Tests/TestSupport/…).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The course's data directory.
public let dataDirectory = packageRoot.appendingPathComponent("data")

/// A file under Tests/Fixtures.
public func fixtureURL(_ relativePath: String) -> URL {
    packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relativePath)
}

/// Reads a JSON Lines file into one dictionary per line.
public func readJSONLines(_ url: URL) throws -> [[String: Any]] {
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    }
}
