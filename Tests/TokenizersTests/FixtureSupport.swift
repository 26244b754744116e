import Foundation

/// The package root, found from this file's path (Tests/TensorKitTests/…).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A file under Tests/Fixtures.
func fixtureURL(_ relativePath: String) -> URL {
    packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relativePath)
}

/// Reads a JSON Lines file into one dictionary per line.
func readJSONLines(_ url: URL) throws -> [[String: Any]] {
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    }
}

/// The course's data directory.
let dataDirectory = packageRoot.appendingPathComponent("data")
