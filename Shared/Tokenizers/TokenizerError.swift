// The one error type of the tokenizers: a bad file (vocabulary, merges, model) or an input a
// tokenizer cannot encode.

/// Why a tokenizer could not be built or used: names the file (or the input), what is wrong,
/// and a hint on how to fix it.
///
///     throw TokenizerError("data/gpt2/vocab.bpe", "line 7 is not a merge of two tokens: \"ab\"",
///                          hint: "each line holds two tokens separated by one space")
///     // prints: data/gpt2/vocab.bpe: line 7 is not a merge of two tokens: "ab"
///     //         hint: each line holds two tokens separated by one space
public struct TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The file's path, or "input" for text given to `encode`.
    public let source: String
    /// What is wrong, as a sentence fragment ("line 3 is not …").
    public let problem: String
    /// How to fix it (may be empty).
    public let hint: String

    public init(_ source: String, _ problem: String, hint: String = "") {
        self.source = source
        self.problem = problem
        self.hint = hint
    }

    public var description: String { "\(source): \(problem)" + (hint.isEmpty ? "" : "\nhint: \(hint)") }
}
