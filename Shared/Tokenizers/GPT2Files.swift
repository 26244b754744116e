// Reading GPT-2's tokenizer files, checking everything a later lookup relies on, so that a
// bad file is an error naming the file and the problem rather than a crash or wrong ids.
//
// - `encoder.json` (Hugging Face: `vocab.json`): a JSON object, token → id. Each token is
//   written with GPT-2's byte-to-unicode characters (ByteToUnicode.swift); the ids must be
//   0, 1, … without gaps or repeats; all 256 single bytes must be tokens.
// - `vocab.bpe` (Hugging Face: `merges.txt`): one merge per line, the two tokens separated by a
//   space ("Ġ t"), in the order they were learned (the rank); an optional first line
//   `#version: …`; empty lines are skipped. Both tokens and their concatenation must be in the
//   vocabulary.
//
// Both files are read as bytes (FlatJSON.swift for the JSON): loading takes a few tens of
// milliseconds instead of a second.

import Foundation

extension GPT2Tokenizer {
    /// GPT-2's tokenizer from a directory holding `encoder.json` and `vocab.bpe` (OpenAI's
    /// names), or else `vocab.json` and `merges.txt` (Hugging Face's).
    public convenience init(directory: URL) throws {
        let openAI = directory.appendingPathComponent("encoder.json")
        if FileManager.default.fileExists(atPath: openAI.path) {
            try self.init(vocabulary: openAI, merges: directory.appendingPathComponent("vocab.bpe"))
        } else {
            try self.init(huggingFace: directory)
        }
    }

    /// A GPT-2-style tokenizer saved by Hugging Face: `vocab.json` and `merges.txt` in `directory`.
    public convenience init(huggingFace directory: URL) throws {
        try self.init(vocabulary: directory.appendingPathComponent("vocab.json"),
                      merges: directory.appendingPathComponent("merges.txt"))
    }

    /// A tokenizer from a token → id JSON file and a merges file (see the top of this file).
    public convenience init(vocabulary: URL, merges: URL) throws {
        let vocab = try Vocabulary(url: vocabulary)
        let table = try Self.readMerges(merges, vocabulary: vocab)
        self.init(tokens: vocab.bytesOfID, byteIDs: vocab.byteIDs, merges: table,
                  endOfText: vocab.id(ofText: Array(Self.endOfTextToken.utf8)) ?? -1)
    }

    // MARK: - encoder.json

    /// The checked contents of a token → id file.
    struct Vocabulary {
        /// Each token's text as written in the file (UTF-8) → its id.
        var idOfText: ByteStringMap
        /// Each id's bytes.
        var bytesOfID: [[UInt8]]
        /// The id of each single byte.
        var byteIDs: [Int32]
        let name: String

        func id(ofText text: [UInt8]) -> Int? {
            text.withUnsafeBufferPointer { idOfText.first($0) }.map(Int.init)
        }

        init(url: URL) throws {
            name = url.lastPathComponent
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw TokenizerError(url.path, "cannot be read (is the path right?)",
                                     hint: "GPT-2's tokenizer needs encoder.json and vocab.bpe (or Hugging Face's vocab.json and merges.txt)")
            }
            let bytes = [UInt8](data)
            // the members in file order
            var texts: [[UInt8]] = [], ids: [Int] = []
            do {
                try bytes.withUnsafeBufferPointer { buffer in
                    try FlatJSON.forEachIntegerMember(in: buffer) { key, value in
                        texts.append(Array(key))
                        ids.append(value)
                    }
                }
            } catch let failure as FlatJSON.Failure {
                throw Self.diagnose(data, url, failure)
            }
            let count = texts.count
            var idOfText = ByteStringMap(capacity: count)
            var bytesOfID = [[UInt8]](repeating: [], count: count)
            var textOfID = [[UInt8]?](repeating: nil, count: count)
            for (text, id) in zip(texts, ids) {
                let token = String(decoding: text, as: UTF8.self)
                guard id >= 0 && id < count else {
                    throw TokenizerError(url.path, "the token \(token.debugDescription) has the id \(id), outside 0..<\(count)",
                                         hint: "the ids of \(count) tokens must be 0, 1, …, \(count - 1)")
                }
                if let other = textOfID[id] {
                    throw TokenizerError(url.path, "the tokens \(String(decoding: other, as: UTF8.self).debugDescription) and \(token.debugDescription) have the same id \(id)")
                }
                guard let tokenBytes = ByteToUnicode.bytes(of: token) else {
                    throw TokenizerError(url.path, "the token \(token.debugDescription) has a character outside GPT-2's byte-to-unicode alphabet",
                                         hint: "tokens are written with one character per byte, a space as Ġ (see ByteToUnicode)")
                }
                guard text.withUnsafeBufferPointer({ idOfText.lookup($0) }) == nil else {
                    throw TokenizerError(url.path, "the token \(token.debugDescription) appears twice")
                }
                text.withUnsafeBufferPointer { idOfText.insert($0, values: [Int32(id)]) }
                textOfID[id] = text
                bytesOfID[id] = tokenBytes
            }
            var byteIDs = [Int32](repeating: -1, count: 256)
            for b in 0..<256 {
                let written = String(ByteToUnicode.characterOfByte[b])
                guard let id = Array(written.utf8).withUnsafeBufferPointer({ idOfText.first($0) }) else {
                    throw TokenizerError(url.path, "has no token for the byte \(b) (written \(written.debugDescription))",
                                         hint: "a byte-level vocabulary must have all 256 bytes as tokens")
                }
                byteIDs[b] = id
            }
            self.idOfText = idOfText
            self.bytesOfID = bytesOfID
            self.byteIDs = byteIDs
        }

        /// A precise message for a file FlatJSON does not accept, from Foundation's JSON reader.
        static func diagnose(_ data: Data, _ url: URL, _ failure: FlatJSON.Failure) -> TokenizerError {
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: data)
            } catch {
                return TokenizerError(url.path, "is not valid JSON (\(failure.message) at byte \(failure.offset))",
                                      hint: "expected a JSON object mapping each token to its id, as GPT-2's encoder.json")
            }
            guard let dictionary = object as? [String: Any] else {
                return TokenizerError(url.path, "is JSON but not an object mapping tokens to ids",
                                      hint: "expected {\"!\": 0, \"\\\"\": 1, …} as GPT-2's encoder.json")
            }
            for (token, value) in dictionary.sorted(by: { WordTokenizer.codePointOrder($0.key, $1.key) }) where !(value is Int) {
                return TokenizerError(url.path, "the token \(token.debugDescription) maps to \(value), not an integer id")
            }
            return TokenizerError(url.path, "has a member the course's reader does not accept (\(failure.message) at byte \(failure.offset))",
                                  hint: "write each id as a plain integer, such as 42")
        }
    }

    // MARK: - vocab.bpe

    /// Reads the merges file into a merge table: merge line k (counting from 0, after an
    /// optional `#version` line) has rank k.
    static func readMerges(_ url: URL, vocabulary vocab: Vocabulary) throws -> MergeTable {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TokenizerError(url.path, "cannot be read (is the path right?)",
                                 hint: "GPT-2's tokenizer needs vocab.bpe (or Hugging Face's merges.txt) beside \(vocab.name)")
        }
        let bytes = [UInt8](data)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw TokenizerError(url.path, "is not UTF-8 text", hint: "expected one merge per line, such as \"Ġ t\"")
        }
        let lines = byteLines(bytes)
        var table = MergeTable(capacity: lines.count)
        var rank = 0
        var merged: [UInt8] = []
        try bytes.withUnsafeBufferPointer { file in
            for (index, range) in lines.enumerated() {
                let line = UnsafeBufferPointer(rebasing: file[range]), number = index + 1
                if line.isEmpty || (number == 1 && line.starts(with: "#version".utf8)) { continue }
                // the two tokens: either side of the line's only space
                var space = -1, spaces = 0
                for (k, b) in line.enumerated() where b == 0x20 { space = k; spaces += 1 }
                guard spaces == 1, space > 0, space < line.count - 1 else {
                    throw TokenizerError(url.path, "line \(number) is not a merge of two tokens separated by one space: \(String(decoding: line, as: UTF8.self).debugDescription)",
                                         hint: "each line holds two tokens, such as \"Ġ t\"")
                }
                let first = UnsafeBufferPointer(rebasing: line[..<space]), second = UnsafeBufferPointer(rebasing: line[(space + 1)...])
                func id(_ part: UnsafeBufferPointer<UInt8>) throws -> Int {
                    guard let id = vocab.idOfText.first(part) else {
                        throw TokenizerError(url.path, "line \(number): the token \(String(decoding: part, as: UTF8.self).debugDescription) is not in \(vocab.name)",
                                             hint: "the merges file and the vocabulary must come from the same tokenizer")
                    }
                    return Int(id)
                }
                let ids = (try id(first), try id(second))
                merged.removeAll(keepingCapacity: true)
                merged.append(contentsOf: first)
                merged.append(contentsOf: second)
                guard let token = vocab.id(ofText: merged) else {
                    let (a, b) = (String(decoding: first, as: UTF8.self), String(decoding: second, as: UTF8.self))
                    throw TokenizerError(url.path, "line \(number): the merge of \(a.debugDescription) and \(b.debugDescription) makes \((a + b).debugDescription), which is not in \(vocab.name)",
                                         hint: "the merges file and the vocabulary must come from the same tokenizer")
                }
                // A repeated pair keeps its first (earliest) rank, as tiktoken and Hugging Face do.
                table.insert(first: ids.0, second: ids.1, rank: rank, merged: token)
                rank += 1
            }
        }
        return table
    }
}

/// The byte ranges of a file's lines: split at "\n", a "\r" before it dropped (Windows line
/// ends), and no empty last line for a final newline.
func byteLines(_ bytes: [UInt8]) -> [Range<Int>] {
    var lines: [Range<Int>] = []
    var start = 0
    for (i, b) in bytes.enumerated() where b == 0x0A {
        lines.append(start..<(i > start && bytes[i - 1] == 0x0D ? i - 1 : i))
        start = i + 1
    }
    if start < bytes.count { lines.append(start..<(bytes.last == 0x0D ? bytes.count - 1 : bytes.count)) }
    return lines
}

/// The lines of a text: split at "\n" (Unicode scalars, not Characters, for which "\r\n" is one
/// character), a "\r" before the "\n" dropped, and no empty last line for a final newline.
func textLines(_ text: String) -> [String] {
    let bytes = Array(text.utf8)
    return byteLines(bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
}
