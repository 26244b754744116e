// The arguments of a call, and their binding to parameters as Python binds them.

/// Arguments of a call: positional, then keyword in the order written.
struct JinjaArguments {
    var positional: [JinjaValue]
    var keyword: [(name: String, value: JinjaValue)]

    init(_ positional: [JinjaValue] = [], keyword: [(name: String, value: JinjaValue)] = []) {
        self.positional = positional
        self.keyword = keyword
    }

    /// Binds the arguments to `parameters` (name and default; nil default = required) the way
    /// Python binds a call, with Python's error messages for `function`.
    func bind(_ function: String, _ parameters: [(String, JinjaValue?)]) throws -> [JinjaValue] {
        if positional.count > parameters.count {
            throw JinjaError.runtime("\(function)() takes at most \(parameters.count) argument\(parameters.count == 1 ? "" : "s") (\(positional.count) given)")
        }
        var bound: [JinjaValue?] = positional.map { $0 } + Array(repeating: nil, count: parameters.count - positional.count)
        for (name, value) in keyword {
            guard let k = parameters.firstIndex(where: { $0.0 == name }) else {
                throw JinjaError.runtime("\(function)() got an unexpected keyword argument '\(name)'")
            }
            if bound[k] != nil { throw JinjaError.runtime("\(function)() got multiple values for argument '\(name)'") }
            bound[k] = value
        }
        return try zip(bound, parameters).map { value, parameter in
            if let value { return value }
            if let fallback = parameter.1 { return fallback }
            throw JinjaError.runtime("\(function)() missing required argument '\(parameter.0)'")
        }
    }
}
