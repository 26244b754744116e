// `Chapter11_LinearLayerAndProjection forward MODEL_DIR INPUTS.safetensors OUT.safetensors`:
// runs any checkpoint the course reads on `input_ids` (I64, [B, T]) — and
// `decoder_input_ids` for Marian — and writes `logits` (F32, [B, T, V]), or
// `last_hidden_state` for BERT.

import CourseKit
import Foundation
import LLMKit
import TensorKit

func runForwardCommand(_ arguments: [String], options: Options) -> Never {
    guard arguments.count == 3 else {
        options.fail("usage: forward MODEL_DIR INPUTS.safetensors OUT.safetensors")
    }
    let (modelDirectory, inputsPath, outputPath) = (arguments[0], arguments[1], arguments[2])
    do {
        let model = try LoadedModel.load(huggingFace: resolveModelDirectory(modelDirectory))
        let inputs = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: inputsPath))
        guard inputs.info("input_ids") != nil else {
            throw InputError(path: inputsPath, problem: "has no tensor input_ids", hint: "write the token ids as input_ids, I64, shape [batch, tokens]")
        }
        let (shape, ids) = try inputs.integers("input_ids")
        guard shape.count == 2 else { throw InputError(path: inputsPath, problem: "input_ids has shape \(describeShape(shape)); expected [batch, tokens]") }
        if let bad = ids.first(where: { $0 < 0 || $0 >= model.vocabularySize }) {
            throw InputError(path: inputsPath, problem: "input_ids holds \(bad), outside the vocabulary of \(model.vocabularySize)")
        }
        let decoder = inputs.info("decoder_input_ids") != nil ? try inputs.integers("decoder_input_ids") : nil
        let output = try model.forward(ids, shape: shape, decoderIDs: decoder)
        try SafeTensors.write([model.outputName: output], metadata: ["format": "pt"], to: URL(fileURLWithPath: outputPath))
        print("wrote \(model.outputName) \(describeShape(output.shape)) to \(outputPath)")
        exit(0)
    } catch {
        options.fail("\(error)")
    }
}
