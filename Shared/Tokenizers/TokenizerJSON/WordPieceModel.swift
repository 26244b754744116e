// Step 3 for WordPiece models (BERT and its family): each pre-token is cut greedily into the
// longest pieces of the vocabulary, pieces after the first written with a prefix ("##"); a
// word with a part no piece covers, or longer than max_input_chars_per_word, is one unknown
// token. The algorithm is `WordPieceTokenizer.greedyPieces` (WordPiece.swift).

// MARK: - Model

/// A WordPiece model read from a tokenizer.json's "model" (`"type": "WordPiece"`).
final class WordPieceModel: TokenizerModel {
    let vocabulary: TokenVocabulary
    let unknownToken: String
    let prefix: String
    let maxCharacters: Int

    init(_ node: ConfigNode) throws {
        let vocabNode = try node.child("vocab")
        vocabulary = try TokenVocabulary(try vocabNode.integerMembers(),
                                         node: vocabNode)
        unknownToken = try node.optionalString("unk_token") ?? "[UNK]"
        prefix = try node.optionalString("continuing_subword_prefix") ?? "##"
        maxCharacters = try node.int("max_input_chars_per_word", default: 100)
    }

    func tokenize(_ piece: UnsafeBufferPointer<UInt8>, into ids: inout [Int]) throws {
        guard !piece.isEmpty else { return }
        let word = String(decoding: piece, as: UTF8.self)
        if let pieces = WordPieceTokenizer.greedyPieces(of: word, prefix: prefix, maxCharacters: maxCharacters,
                                                        id: { vocabulary.id(of: $0) }) {
            ids += pieces
            return
        }
        guard let unknown = vocabulary.id(of: unknownToken) else {
            throw TokenizerError("input", "the word \(word.debugDescription) needs the unknown token \(unknownToken.debugDescription), which is not in the vocabulary")
        }
        ids.append(unknown)
    }
}
