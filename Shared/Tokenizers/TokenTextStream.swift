// Printing generated text as it comes, one token at a time, for any tokenizer.
//
// Decoding each new token on its own goes wrong in two ways:
// - a character may be split across tokens: byte-level BPE writes "é" as two bytes, and an emoji
//   is often three or four tokens, each of which alone decodes to U+FFFD;
// - a decoder may treat the first token specially: SentencePiece-style decoders drop the
//   leading space of the text, so "▁world" alone decodes to "world", not " world".
//
// So the stream decodes a short window — the tokens last printed, then the new ones — and prints
// what that adds to the window's already-printed text, only once the result does not end in
// U+FFFD (an incomplete character). The window then moves on to the tokens just printed, so
// each step decodes a few tokens, not the whole text.

// MARK: - Stream

/// Turns ids into text piece by piece, holding back incomplete characters.
///
///     var stream = TokenTextStream(tokenizer, context: promptIDs)
///     for id in generatedIDs { print(stream.push(id), terminator: "") }   // whole characters only
///     print(stream.finish())                                              // whatever is left
///
/// What the pieces add up to is the decoding of context + ids minus the decoding of context.
public struct TokenTextStream {
    private let decode: ([Int]) -> String
    /// The ids being decoded: those behind `printed`, then those not printed yet.
    private var window: [Int]
    /// How many ids of `window` are behind `printed`.
    private var printedCount: Int
    /// The text of `window[..<printedCount]`.
    private var printed: String

    /// A stream decoding with `tokenizer`, after `context` (such as the prompt), which is never
    /// printed but decides how the first new token reads.
    public init(_ tokenizer: Tokenizer, context: [Int] = []) {
        self.init(decode: tokenizer.decode, context: context)
    }

    /// A stream over any decoding function (for tokenizers with options, such as skipping
    /// special tokens).
    public init(decode: @escaping ([Int]) -> String, context: [Int] = []) {
        self.decode = decode
        window = context
        printedCount = context.count
        printed = decode(context)
    }

    /// Adds one id; returns the text it completes (often empty while a character is incomplete).
    public mutating func push(_ id: Int) -> String {
        window.append(id)
        let text = decode(window)
        if text.hasSuffix("\u{FFFD}") { return "" }          // wait for the rest of the character
        return emit(text)
    }

    /// The text of the ids not printed yet, complete or not (at the end of generation).
    public mutating func finish() -> String {
        guard printedCount < window.count else { return "" }
        return emit(decode(window))
    }

    /// Prints what `text` (the window's decoding) adds to `printed`, and moves the window on.
    private mutating func emit(_ text: String) -> String {
        let added: String
        if text.utf8.starts(with: printed.utf8) {
            added = String(decoding: text.utf8.dropFirst(printed.utf8.count), as: UTF8.self)
        } else {
            // a decoder rewrote earlier text given more tokens: print from where they differ
            let common = zip(text.unicodeScalars, printed.unicodeScalars).prefix { $0 == $1 }.count
            added = String(String.UnicodeScalarView(text.unicodeScalars.dropFirst(common)))
        }
        window = Array(window[printedCount...])
        printedCount = window.count
        printed = decode(window)
        return added
    }
}
