// What every tokenizer of the course does: text → token ids → text.
//
// The word, character, byte-pair, GPT-2, WordPiece and SentencePiece tokenizers, and any
// Hugging Face tokenizer.json (HuggingFaceTokenizer), all adopt this protocol, so a chapter can
// hold "a tokenizer" and swap one for another; PretrainedTokenizer finds the one a model
// directory ships.

/// Turns text into token ids and back.
///
///     let tokenizer: Tokenizer = CharTokenizer(training: "hello")
///     tokenizer.encode("hole")            // [1, 3, 2, 0]
///     tokenizer.decode([1, 3, 2, 0])      // "hole"
///     tokenizer.vocabularySize            // 4 (e, h, l, o)
public protocol Tokenizer {
    /// The ids of `text`.
    func encode(_ text: String) -> [Int]
    /// The text of `ids`.
    func decode(_ ids: [Int]) -> String
    /// How many different ids there are (every id is in `0..<vocabularySize`).
    var vocabularySize: Int { get }
}
