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

/// Reads a JSON Lines file into one dictionary per line. The "text" field is decoded again with
/// JSONDecoder, because JSONSerialization on Linux drops a U+FEFF at the start of a string.
public func readJSONLines(_ url: URL) throws -> [[String: Any]] {
    struct TextField: Decodable { let text: String? }
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        var object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        if let exact = try JSONDecoder().decode(TextField.self, from: Data(line.utf8)).text { object["text"] = exact }
        return object
    }
}
