// A labelled classification task made from a play: who says this line? The speeches of two
// (or more) characters of tiny Shakespeare, cut into short passages of whole lines, each
// labelled with its speaker — then balanced and split as the book splits its spam messages
// (70% training, 10% validation, 20% test, after a seeded shuffle).

import TensorKit

/// A text and the index of its class.
public struct LabelledText: Equatable {
    public var text: String
    public var label: Int

    public init(text: String, label: Int) {
        self.text = text
        self.label = label
    }
}

/// The three parts of a labelled dataset: train on the first, choose settings with the second,
/// and report the third, which nothing was tuned on.
public struct LabelledSplits: Equatable {
    public var train: [LabelledText]
    public var validation: [LabelledText]
    public var test: [LabelledText]
}

public enum SpeakerLines {
    /// Every speech of a play in tiny Shakespeare's layout — a line "NAME:" then the lines
    /// spoken, up to an empty line — in order.
    ///
    ///     SpeakerLines.speeches(in: "ROMEO:\nBut soft!\n\nJULIET:\nAy me!\n")
    ///     // [("ROMEO", ["But soft!"]), ("JULIET", ["Ay me!"])]
    public static func speeches(in text: String) -> [(speaker: String, lines: [String])] {
        var out: [(speaker: String, lines: [String])] = []
        for block in text.components(separatedBy: "\n\n") {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            guard let first = lines.first, first.hasSuffix(":"), lines.count >= 2 else { continue }
            out.append((String(first.dropLast()), Array(lines.dropFirst())))
        }
        return out
    }

    /// Passages of the speeches of each class's speakers, labelled by the class's position in
    /// `classes` (a class is one speaker, or several: the characters of one play): each speech
    /// is cut into pieces of whole lines of at most `maxCharacters` characters (lines joined by
    /// "\n"; a single longer line is cut), in the order of the play. The speaker's name itself
    /// is not part of the text. A name ending in "*" stands for every speaker whose name
    /// starts with what precedes it ("KING*": KING RICHARD II, KING HENRY VI, …); a speaker
    /// goes to the first class that names it.
    ///
    ///     SpeakerLines.passages(in: text, classes: [["ROMEO"], ["JULIET"]], maxCharacters: 128)
    public static func passages(in text: String, classes: [[String]], maxCharacters: Int) -> [LabelledText] {
        precondition(maxCharacters >= 1, "SpeakerLines.passages: maxCharacters must be positive")
        var out: [LabelledText] = []
        for speech in speeches(in: text) {
            guard let label = classes.firstIndex(where: { $0.contains { matches($0, speech.speaker) } }) else { continue }
            var piece: [String] = [], length = 0           // length: characters of the lines joined
            func flush() {
                if !piece.isEmpty { out.append(LabelledText(text: piece.joined(separator: "\n"), label: label)) }
                (piece, length) = ([], 0)
            }
            for line in speech.lines {
                let cut = String(String.UnicodeScalarView(line.unicodeScalars.prefix(maxCharacters)))
                let added = cut.unicodeScalars.count + (piece.isEmpty ? 0 : 1)
                if length + added > maxCharacters { flush() }
                length += cut.unicodeScalars.count + (piece.isEmpty ? 0 : 1)
                piece.append(cut)
            }
            flush()
        }
        return out
    }

    /// The course's default task: does a king or queen say this, or a commoner? Royals are
    /// every speaker called KING … or QUEEN …; commoners are the nurses, clowns, servants,
    /// citizens, murderers, watchmen and the like of the plays — about 120,000 and 90,000
    /// characters of speech, so some 1,300 passages of each after cutting.
    public static let royalsAndCommoners: [(name: String, speakers: [String])] = [
        ("royal", ["KING*", "QUEEN*"]),
        ("commoner", ["Nurse", "Clown", "POMPEY", "GRUMIO", "AUTOLYCUS", "Shepherd", "BIONDELLO", "ELBOW", "Servant",
                      "First Servant", "Second Servant", "Third Servant", "First Citizen", "Second Citizen", "Third Citizen",
                      "First Murderer", "Second Murderer", "Gardener", "First Gentleman", "Second Gentleman", "PETER",
                      "SAMPSON", "GREGORY", "CURTIS", "MOPSA", "DORCAS", "Page", "Boy", "First Watchman", "Second Watchman",
                      "ABHORSON", "FROTH"]),
    ]

    /// Whether `pattern` — a name, or a prefix followed by "*" — names `speaker`.
    public static func matches(_ pattern: String, _ speaker: String) -> Bool {
        pattern.hasSuffix("*") ? speaker.hasPrefix(pattern.dropLast()) : pattern == speaker
    }

    /// The speakers with the most speeches, most first (ties by name).
    public static func mostFrequentSpeakers(in text: String, count: Int) -> [(speaker: String, speeches: Int)] {
        var counts: [String: Int] = [:]
        for speech in speeches(in: text) { counts[speech.speaker, default: 0] += 1 }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(count).map { ($0.key, $0.value) }
    }
}

extension LabelledSplits {
    /// Balances the classes and splits, as the book's `create_balanced_dataset` and
    /// `random_split` do: each class is cut down to the size of the smallest (keeping a
    /// seeded random choice), the whole is shuffled, and the first `trainFraction` trains,
    /// the next `validationFraction` validates, the rest tests. The same seed gives the same
    /// splits.
    public init(balancing examples: [LabelledText], classes: Int, seed: UInt64,
                trainFraction: Double = 0.7, validationFraction: Double = 0.1) {
        precondition(trainFraction > 0 && validationFraction >= 0 && trainFraction + validationFraction < 1,
                     "LabelledSplits: fractions \(trainFraction) and \(validationFraction) leave no test split")
        let byClass = (0..<classes).map { c in examples.filter { $0.label == c } }
        let smallest = byClass.map(\.count).min() ?? 0
        let generator = TorchGenerator(seed: seed)
        var balanced: [LabelledText] = []
        for members in byClass {
            balanced += generator.permutation(members.count).prefix(smallest).sorted().map { members[$0] }
        }
        let shuffled = generator.permutation(balanced.count).map { balanced[$0] }
        let trainEnd = Int(Double(shuffled.count) * trainFraction)
        let validationEnd = trainEnd + Int(Double(shuffled.count) * validationFraction)
        self.init(train: Array(shuffled[..<trainEnd]), validation: Array(shuffled[trainEnd..<validationEnd]),
                  test: Array(shuffled[validationEnd...]))
    }
}
