// The Hugging Face cache on disk, laid out as `huggingface_hub` lays it out, so that a model
// downloaded by Python is found here and one downloaded here is found by `transformers`:
//
//     ~/.cache/huggingface/hub/
//       models--Qwen--Qwen2.5-0.5B-Instruct/
//         blobs/<etag>                       each file once, named by its SHA-256 (large
//                                            files) or its git blob hash (small ones)
//         refs/main                          the commit `main` pointed to: "7ae5576…"
//         snapshots/7ae5576…/config.json     → ../../blobs/<etag>, one link per file
//
// Where the cache is: $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE (the older name), else
// $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub
// (huggingface_hub's constants.py), with `~` and `$VARIABLES` expanded.

import Foundation
import TensorKit

/// One Hugging Face cache directory.
///
///     let cache = HubCache(environment: ProcessInfo.processInfo.environment)
///     cache.repositoryFolder("Qwen/Qwen2.5-0.5B-Instruct").path
///     // "/home/me/.cache/huggingface/hub/models--Qwen--Qwen2.5-0.5B-Instruct"
public struct HubCache {
    /// The `hub` directory holding one `models--…` folder per repository.
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// The cache the environment names, by huggingface_hub's rules.
    public init(environment: [String: String]) {
        root = URL(fileURLWithPath: HubCache.rootPath(environment: environment))
    }

    /// The path of the cache directory, and (for messages) how it was chosen.
    static func rootPath(environment: [String: String]) -> String {
        let home = environment["HOME"] ?? NSHomeDirectory()
        func expand(_ path: String) -> String { expandVariables(expandTilde(path, home: home), environment: environment) }
        if let hub = environment["HF_HUB_CACHE"] ?? environment["HUGGINGFACE_HUB_CACHE"] { return expand(hub) }
        let hfHome = environment["HF_HOME"] ?? ((environment["XDG_CACHE_HOME"] ?? home + "/.cache") + "/huggingface")
        return expand(hfHome) + "/hub"
    }

    /// `models--Org--Name`: the folder of a model repository (`/` becomes `--`).
    public func repositoryFolder(_ repository: String) -> URL {
        root.appendingPathComponent((["models"] + repository.split(separator: "/").map(String.init)).joined(separator: "--"))
    }

    /// The snapshot directory of `repository` at `revision` (a branch, a tag or a commit), if
    /// the cache has one: `refs/<revision>` gives the commit, `snapshots/<commit>` its files.
    public func snapshot(_ repository: String, revision: String = "main") -> URL? {
        let folder = repositoryFolder(repository)
        var commit = revision
        let ref = folder.appendingPathComponent("refs").appendingPathComponent(revision)
        if let data = FileManager.default.contents(atPath: ref.path), let text = String(data: data, encoding: .utf8) {
            commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let snapshot = folder.appendingPathComponent("snapshots").appendingPathComponent(commit)
        var isDirectory: ObjCBool = false
        guard !commit.isEmpty, FileManager.default.fileExists(atPath: snapshot.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return nil
        }
        return snapshot
    }

    /// Whether `text` is a Hub repository id: `name` or `namespace/name`, each made of letters,
    /// digits, `-`, `_` and `.`, not starting or ending with `-` or `.`, without `--` or `..`,
    /// the name at most 96 characters and not ending in `.git` (huggingface_hub's
    /// `validate_repo_id`).
    public static func isRepositoryID(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !text.contains("--"), !text.contains(".."), !text.hasSuffix(".git") else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        for part in parts {
            guard let first = part.first, let last = part.last, part.allSatisfy(allowed.contains),
                  !"-.".contains(first), !"-.".contains(last) else { return false }
        }
        return parts.last!.count <= 96
    }
}

/// The model directory a command-line argument names: a directory as given, or a Hub id such
/// as `Qwen/Qwen2.5-0.5B-Instruct` found in the Hugging Face cache (its snapshot of `main`).
/// Anything else is returned as a path, for the loader to report.
///
///     let directory = try resolveModelDirectory("Qwen/Qwen2.5-0.5B-Instruct")
///     // …/hub/models--Qwen--Qwen2.5-0.5B-Instruct/snapshots/7ae5576…
///
/// Throws an `InputError` naming the paths searched and the command that downloads the model
/// when the argument is neither a directory nor in the cache.
public func resolveModelDirectory(_ argument: String,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
        return URL(fileURLWithPath: argument)
    }
    guard HubCache.isRepositoryID(argument), !argument.hasPrefix("."), !argument.hasPrefix("~") else {
        return URL(fileURLWithPath: argument)
    }
    let cache = HubCache(environment: environment)
    if let snapshot = cache.snapshot(argument) { return snapshot }
    let folder = cache.repositoryFolder(argument)
    let ref = folder.appendingPathComponent("refs/main")
    let found: String
    if let commit = try? String(contentsOf: ref, encoding: .utf8) {
        found = "\(ref.path) names commit \(commit.trimmingCharacters(in: .whitespacesAndNewlines)), but \(folder.path)/snapshots has no such folder"
    } else if FileManager.default.fileExists(atPath: folder.path) {
        let refs = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("refs").path))?.sorted() ?? []
        found = "\(ref.path) does not exist" + (refs.isEmpty ? "" : " (refs there: \(refs.joined(separator: ", ")))")
    } else {
        found = "\(folder.path) does not exist"
    }
    throw InputError(
        path: argument,
        problem: """
        is neither a directory nor a model in the Hugging Face cache
          looked for the directory ./\(argument)
          looked in the cache \(cache.root.path): \(found)
          (the cache is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)
        """,
        hint: "download it with: swift run Chapter13_AutoregressiveLoopAndKVCache download \(argument)")
}

/// `~` or `~/…` at the start of a path, made absolute with `home`.
func expandTilde(_ path: String, home: String) -> String {
    if path == "~" { return home }
    if path.hasPrefix("~/") { return home + path.dropFirst() }
    return path
}

/// `$NAME` and `${NAME}` replaced by the variable's value when it is set, and left as they are
/// when it is not (Python's `os.path.expandvars`).
func expandVariables(_ path: String, environment: [String: String]) -> String {
    guard path.contains("$") else { return path }
    let characters = Array(path)
    var out = ""
    var i = 0
    func isNameCharacter(_ c: Character) -> Bool { c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) }
    while i < characters.count {
        guard characters[i] == "$", i + 1 < characters.count else { out.append(characters[i]); i += 1; continue }
        var end = i + 1
        var name = ""
        if characters[end] == "{" {
            guard let close = characters[(end + 1)...].firstIndex(of: "}") else { out.append(characters[i]); i += 1; continue }
            name = String(characters[(end + 1)..<close])
            end = close + 1
        } else {
            while end < characters.count, isNameCharacter(characters[end]) { name.append(characters[end]); end += 1 }
        }
        if !name.isEmpty, let value = environment[name] {
            out += value
        } else {
            out += String(characters[i..<end])
        }
        i = max(end, i + 1)
    }
    return out
}
