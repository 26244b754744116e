// What the trained model learned, seen in its token embeddings: tokens used alike end up
// near each other. A 2-D projection (PCA) of the most frequent tokens as an SVG scatter, and
// the nearest neighbours of a few of them by cosine similarity.

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

/// How a token is shown: its text in quotes, with newlines and spaces made visible.
func label(_ id: Int, _ tokenizer: CheckpointTokenizer) -> String {
    let text = tokenizer.tokenizer.decode([id])
    return quoted(text)
}

func showLearnedEmbeddings(_ model: GPTModel, tokenizer: CheckpointTokenizer, trainIDs: [Int], into directory: String) {
    // The tokens the model saw most often: only they had a chance to learn anything.
    var counts: [Int: Int] = [:]
    for id in trainIDs { counts[id, default: 0] += 1 }
    let byFrequency = counts.keys.sorted { counts[$0]! != counts[$1]! ? counts[$0]! > counts[$1]! : $0 < $1 }
    let frequent = Array(byFrequency.prefix(tokenizer.kind == "char" ? 65 : 60))
    let seenOften = byFrequency.filter { counts[$0]! >= 3 }
    let embeddings = model.wte.weight.detach()                                   // (V, d)

    say("""
    The token embedding table holds one learned vector per token. Tokens the model uses in \
    similar places drift towards similar vectors. Nearest neighbours by cosine similarity, \
    among the \(grouped(seenOften.count)) tokens that appear at least 3 times in the training text:
    """)
    let probes = Array(byFrequency.prefix(6))
    var rows: [[String]] = []
    for id in probes {
        let near = nearestNeighbours(of: id, in: embeddings, k: 4, candidates: seenOften)
        rows.append([label(id, tokenizer)] + near.map { "\(label($0.row, tokenizer)) \(fixed($0.similarity, 2))" })
    }
    table(["token", "1st", "2nd", "3rd", "4th"], rows)

    let rowsOfFrequent = embeddings.indexSelect(0, frequent)                     // (n, d)
    let projected = principalComponents(rowsOfFrequent, count: 2).rows           // (n, 2)
    let points = frequent.indices.map { i in
        (x: Double(projected[i][0]), y: Double(projected[i][1]), label: tokenizer.tokenizer.decode([frequent[i]]))
    }
    say("""
    The \(frequent.count) most frequent tokens' embeddings, projected onto the two directions \
    along which they vary most (principal components):
    """)
    options.saveFigure(Figures.scatter(points: points, title: "Token embeddings, first two principal components"),
                       "embeddings.svg", into: directory)
}
