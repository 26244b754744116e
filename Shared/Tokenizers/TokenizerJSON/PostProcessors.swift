// Step 4 of a tokenizer.json pipeline: the post-processor adds the special tokens a model
// expects around the text — BERT's [CLS] … [SEP], Llama's <s> in front, T5's </s> at the end.
// (For pairs of texts it also places the second text; this reader encodes one text at a time.)

// MARK: - Post-processor

/// One post-processor of a tokenizer.json.
protocol PostProcessor {
    /// The ids of one text with the special tokens added (unchanged if `addSpecialTokens` is false).
    func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int]
    /// How many ids `process` adds to one text.
    var addedCount: Int { get }
}

/// The post-processor types this reader implements.
enum PostProcessorFactory {
    static let supported = ["TemplateProcessing", "BertProcessing", "RobertaProcessing", "ByteLevel", "Sequence"]

    static func make(_ node: ConfigNode) throws -> PostProcessor {
        switch try node.type(of: "post-processor", supported: supported) {
        case "TemplateProcessing": return try TemplatePostProcessor(node)
        case "BertProcessing", "RobertaProcessing":
            // one text: [CLS] text [SEP] (RoBERTa's <s> text </s>); trim_offsets and
            // add_prefix_space change offsets only
            return WrapPostProcessor(first: try Self.tokenID(node, "cls"), last: try Self.tokenID(node, "sep"))
        case "ByteLevel": return IdentityPostProcessor()                // offsets only
        default: return SequencePostProcessor(steps: try node.elements("processors").map(make))
        }
    }

    /// The id of a ["[CLS]", 101] member.
    private static func tokenID(_ node: ConfigNode, _ key: String) throws -> Int {
        let child = try node.child(key)
        guard let pair = child.value.arrayValue, pair.count == 2, pair[0].stringValue != nil, let id = pair[1].integerValue else {
            throw child.error("should be a pair [\"token\", id]")
        }
        return id
    }
}

/// Adds nothing (ByteLevel's post-processing adjusts offsets, which this reader does not compute).
struct IdentityPostProcessor: PostProcessor {
    func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] { ids }
    var addedCount: Int { 0 }
}

/// One id before the text and one after.
struct WrapPostProcessor: PostProcessor {
    let first: Int, last: Int

    func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] {
        addSpecialTokens ? [first] + ids + [last] : ids
    }
    var addedCount: Int { 2 }
}

/// Several post-processors, one after another.
struct SequencePostProcessor: PostProcessor {
    let steps: [PostProcessor]

    func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] {
        steps.reduce(ids) { $1.process($0, addSpecialTokens: addSpecialTokens) }
    }
    var addedCount: Int { steps.reduce(0) { $0 + $1.addedCount } }
}

/// TemplateProcessing: the "single" template lists the pieces of the output in order — the
/// text ({"Sequence": {"id": "A"}}) and special tokens ({"SpecialToken": {"id": "<s>"}}), each
/// special token standing for the ids given in "special_tokens".
///
///     single: <s> $A       →  [1] + ids          (Llama)
///     single: $A </s>      →  ids + [1]          (T5)
struct TemplatePostProcessor: PostProcessor {
    /// The template: nil for the text, else the special token's ids.
    let pieces: [[Int]?]

    init(_ node: ConfigNode) throws {
        var specialIDs: [String: [Int]] = [:]
        for (name, entry) in try node.child("special_tokens").members() {
            let ids = try entry.elements("ids").map { try $0.integerValue() }
            specialIDs[name] = ids
        }
        var pieces: [[Int]?] = []
        for element in try node.elements("single") {
            if let sequence = try? element.child("Sequence") {
                let id = try sequence.string("id")
                guard id == "A" else {
                    throw sequence.error("the single template uses the sequence \(id.debugDescription); only \"A\" exists for one text")
                }
                pieces.append(nil)
            } else if let special = try? element.child("SpecialToken") {
                let name = try special.string("id")
                guard let ids = specialIDs[name] else {
                    throw special.error("the special token \(name.debugDescription) is missing from \"special_tokens\"")
                }
                pieces.append(ids)
            } else {
                throw element.error("a template piece should be {\"Sequence\": …} or {\"SpecialToken\": …}")
            }
        }
        self.pieces = pieces
    }

    func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(ids.count + addedCount)
        for piece in pieces {
            if let special = piece {
                if addSpecialTokens { out += special }
            } else {
                out += ids
            }
        }
        return out
    }

    var addedCount: Int { pieces.reduce(0) { $0 + ($1?.count ?? 0) } }
}
