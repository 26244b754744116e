// The error for bad input: a file, directory or field that cannot be used.

/// A problem with something the user supplied: names the file (or field) at fault, says what
/// is wrong, and how to fix it.
///
///     InputError(path: "models/gpt2/config.json", problem: "field n_embd is missing",
///                hint: "a Hugging Face model directory has a config.json")
///     // models/gpt2/config.json: field n_embd is missing
///     // hint: a Hugging Face model directory has a config.json
public struct InputError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String
    public let hint: String

    public init(path: String, problem: String, hint: String = "") {
        self.path = path
        self.problem = problem
        self.hint = hint
    }

    public var description: String { "\(path): \(problem)" + (hint.isEmpty ? "" : "\nhint: \(hint)") }
}
