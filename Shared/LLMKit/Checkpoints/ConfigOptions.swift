// The config.json fields that change how a decoder computes, read as the Hub writes them
// (`rope_theta` + `rope_scaling`, or transformers 5's `rope_parameters`; `torch_dtype` or
// `dtype`; …), and the options the course does not implement, refused by name: a model that
// would silently compute something else is worse than one that does not load.

import Foundation
import TensorKit

extension HuggingFaceCheckpoint {
    /// True if config.json has `key` with a value other than null.
    func isSet(_ key: String) -> Bool {
        config[key] != nil && !(config[key] is NSNull)
    }

    /// An integer field that may be null (null or missing: `default`).
    func optionalInt(_ key: String, default value: Int?) throws -> Int? {
        if config[key] is NSNull { return nil }
        if config[key] == nil { return value }
        return try int(key)
    }

    /// The dtype the weights were saved in, as `torch_dtype` (the Hub's usual key) or `dtype`
    /// (transformers 5) name it: "float32", "bfloat16", "float16"; nil if neither is there.
    public var dtype: String? {
        (config["torch_dtype"] as? String) ?? (config["dtype"] as? String)
    }

    /// An error if `key` is true: `what` is what it would switch on.
    func refuseTrue(_ key: String, _ what: String) throws {
        if (config[key] as? Bool) == true {
            throw InputError(path: configPath, problem: "\(key) is true (\(what)), which the course does not implement for \(architecture ?? "this model")")
        }
    }

    /// Refuses what no model of the course implements: quantised weights, attention or logit
    /// soft-capping, partial rotary embeddings, attention kinds other than full and sliding
    /// windows, and weights in a dtype the course cannot widen to float32.
    func refuseUnimplementedOptions() throws {
        if isSet("quantization_config") {
            let method = (config["quantization_config"] as? [String: Any])?["quant_method"] as? String
            throw InputError(path: configPath, problem: "quantization_config\(method.map { " (\($0))" } ?? "") is set: quantised weights are not implemented",
                             hint: "use the model's unquantised float32, float16 or bfloat16 release")
        }
        for key in ["attn_logit_softcapping", "final_logit_softcapping"] where isSet(key) {
            throw InputError(path: configPath, problem: "\(key) is set: soft-capping (Gemma 2's tanh on the scores) is not implemented")
        }
        let rope = (config["rope_parameters"] as? [String: Any]) ?? (config["rope_scaling"] as? [String: Any]) ?? [:]
        if let factor = (rope["partial_rotary_factor"] ?? config["partial_rotary_factor"]) as? NSNumber, factor.doubleValue != 1 {
            throw InputError(path: configPath, problem: "partial_rotary_factor is \(factor): RoPE on part of each head is not implemented")
        }
        if let types = config["layer_types"] as? [String], let other = types.first(where: { $0 != "full_attention" && $0 != "sliding_attention" }) {
            throw InputError(path: configPath, problem: "layer_types holds \"\(other)\": only full_attention and sliding_attention layers are implemented")
        }
        if let dtype, !["float32", "float16", "bfloat16", "float64"].contains(dtype) {
            throw InputError(path: configPath, problem: "torch_dtype \(dtype) is not one the course reads",
                             hint: "the course reads float32, float16 and bfloat16 weights")
        }
    }

    /// RoPE's base θ and its scaling: from `rope_parameters` (transformers 5) or from
    /// `rope_theta` + `rope_scaling` (the Hub's form; the type under "rope_type", or "type" in
    /// older files). Types other than "default" and "llama3" are refused by name.
    func rotaryEmbedding(defaultTheta: Float) throws -> (theta: Float, scaling: Llama3RopeScaling?) {
        let key = isSet("rope_parameters") ? "rope_parameters" : "rope_scaling"
        let parameters: [String: Any]
        if let object = config[key] as? [String: Any] {
            parameters = object
        } else if isSet(key) {
            throw InputError(path: configPath, problem: "\(key) is not a JSON object")
        } else {
            parameters = [:]
        }
        let theta = try (parameters["rope_theta"] as? NSNumber)?.floatValue ?? float("rope_theta", default: defaultTheta)
        let type = (parameters["rope_type"] ?? parameters["type"]) as? String ?? "default"
        switch type {
        case "default":
            if parameters["mrope_section"] != nil {
                throw InputError(path: configPath, problem: "\(key).mrope_section is set: multimodal RoPE is not implemented")
            }
            return (theta, nil)
        case "llama3":
            func number(_ field: String) throws -> NSNumber {
                guard let value = parameters[field] as? NSNumber else {
                    throw InputError(path: configPath, problem: "\(key).\(field) is missing or not a number", hint: "a llama3 rope_scaling has factor, low_freq_factor, high_freq_factor and original_max_position_embeddings")
                }
                return value
            }
            let (factor, low, high, original) = (try number("factor").floatValue, try number("low_freq_factor").floatValue,
                                                 try number("high_freq_factor").floatValue, try number("original_max_position_embeddings").intValue)
            guard factor > 0, low > 0, high > low, original > 0 else {
                throw InputError(path: configPath, problem: "\(key) has factor \(factor), low_freq_factor \(low), high_freq_factor \(high), original_max_position_embeddings \(original)",
                                 hint: "llama3 scaling needs factor > 0 and 0 < low_freq_factor < high_freq_factor")
            }
            return (theta, Llama3RopeScaling(factor: factor, lowFrequencyFactor: low, highFrequencyFactor: high, originalContext: original))
        default:
            throw InputError(path: configPath, problem: "\(key) type \"\(type)\" is not implemented",
                             hint: "the course implements RoPE with rope_scaling null, \"default\" or \"llama3\"")
        }
    }

    /// The feed-forward gate's activation, `hidden_act`. Gemma's "gelu" means GELU's tanh form
    /// (transformers rewrites it so: the original Gemma release named it that way).
    func gateActivation(member: LlamaFamilyMember, default value: String) throws -> Activation {
        let name = try string("hidden_act", default: value)
        if member == .gemma && name == "gelu" { return .geluTanh }
        guard let activation = Activation(huggingFace: name) else {
            throw InputError(path: configPath, problem: "hidden_act \"\(name)\" is not implemented",
                             hint: "the course implements silu, gelu, gelu_new, gelu_pytorch_tanh and relu")
        }
        return activation
    }

    /// Qwen2's and Qwen3's sliding window: used only with `use_sliding_window`, and then on
    /// the layers `layer_types` marks "sliding_attention" (or, without it, from layer
    /// `max_window_layers` on). nil if no layer uses it.
    func qwenSlidingWindow(layers: Int) throws -> Int? {
        guard bool("use_sliding_window", default: false), let window = try optionalInt("sliding_window", default: 4096) else { return nil }
        if let types = config["layer_types"] as? [String] { return types.contains("sliding_attention") ? window : nil }
        return layers > (try int("max_window_layers", default: 28)) ? window : nil
    }
}
