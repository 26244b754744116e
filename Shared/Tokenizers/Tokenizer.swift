// What every tokenizer of the course does: text → token ids → text.

/// Turns text into token ids and back.
public protocol Tokenizer {
    /// The ids of `text`.
    func encode(_ text: String) -> [Int]
    /// The text of `ids`.
    func decode(_ ids: [Int]) -> String
    /// How many different ids there are.
    var vocabularySize: Int { get }
}

/// Why a tokenizer could not be built or used: names the file (or the input) and what is
/// wrong, with a hint.
public struct TokenizerError: Error, CustomStringConvertible, Equatable {
    public let source: String
    public let problem: String
    public let hint: String

    public init(_ source: String, _ problem: String, hint: String = "") {
        self.source = source
        self.problem = problem
        self.hint = hint
    }

    public var description: String { "\(source): \(problem)" + (hint.isEmpty ? "" : "\nhint: \(hint)") }
}
