// A program that misuses the library on purpose, one mistake per case, as a learner editing a
// chapter might: `MisuseProbe matmul` multiplies tensors whose inner sizes differ, and so on.
// Tests/MisuseTests runs it in a child process for each case and checks that it stops with a
// failure and a message naming the mistake (never a wrong result or an out-of-bounds read).
//
//     .build/debug/MisuseProbe embedding-id    # stops: "embedding: id 12 is out of range …"

import Foundation
import LLMKit
import TensorKit

/// A tiny GPT: vocabulary 10, context 8, width 8.
func tinyGPT(vocabulary: Int = 10) -> GPTModel {
    GPTModel(GPTConfig(vocabSize: vocabulary, contextLength: 8, embeddingDim: 8, numHeads: 2, numLayers: 1),
             generator: TorchGenerator(seed: 1))
}

/// Each case does one thing wrong; reaching its end would mean the mistake went unnoticed.
let cases: [String: () throws -> Void] = [
    // (2, 3) · (4, 5): inner sizes 3 and 4
    "matmul": { print(Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5])).shape) },
    // (2, 3) + (4): the last axes 3 and 4 differ and neither is 1
    "broadcast": { print((Tensor.zeros([2, 3]) + Tensor.zeros([4])).shape) },
    // id 12 in a table of 10 rows
    "embedding-id": { print(Embedding(10, 4, generator: TorchGenerator(seed: 1))([3, 12]).shape) },
    // target 7 of 5 classes
    "cross-entropy-target": { print(Tensor.zeros([2, 5]).crossEntropy(targets: [1, 7]).item) },
    // 6 elements cannot be 8
    "reshape": { print(Tensor.zeros([2, 3]).reshape([4, 2]).shape) },
    // 9 tokens through a model whose context is 8
    "gpt-context": { print(tinyGPT()(Array(repeating: 1, count: 9), shape: [1, 9]).shape) },
    // a checkpoint of a vocabulary-10 GPT loaded into a vocabulary-12 one
    "checkpoint-shape": {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("misuse-probe-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let saved = tinyGPT()
        try JSONSerialization.data(withJSONObject: saved.huggingFaceConfig()).write(to: directory.appendingPathComponent("config.json"))
        try SafeTensors.write(saved.huggingFaceWeights(), to: directory.appendingPathComponent("model.safetensors"))
        try tinyGPT(vocabulary: 12).load(gpt2Weights: HuggingFaceCheckpoint(directory: directory))
    },
    // the same mistake through Module.load: a state dict of another size
    "state-dict-shape": { try tinyGPT(vocabulary: 12).load(tinyGPT().stateDict()) },
    // a (2, 3) input to a layer expecting 4 features
    "linear": { print(Linear(4, 5, generator: TorchGenerator(seed: 1))(Tensor.zeros([2, 3])).shape) },
    // 2 values for 6 elements
    "tensor-data": { print(Tensor(shape: [2, 3], data: [1, 2]).shape) },
    // row 5 of 2
    "select": { print(Tensor.zeros([2, 3]).select(0, 5).shape) },
    // axis 2 of a 2-D tensor
    "softmax-axis": { print(Tensor.zeros([2, 3]).softmax(axis: 2).shape) },
    // (2, 3) and (2, 4) joined along axis 0
    "cat": { print(Tensor.cat([Tensor.zeros([2, 3]), Tensor.zeros([2, 4])], axis: 0).shape) },
]

let arguments = CommandLine.arguments.dropFirst()
guard let name = arguments.first, let misuse = cases[name], arguments.count == 1 else {
    FileHandle.standardError.write(Data("usage: MisuseProbe CASE, one of: \(cases.keys.sorted().joined(separator: ", "))\n".utf8))
    exit(2)
}
try misuse()
print("MisuseProbe \(name): the mistake went unnoticed")
