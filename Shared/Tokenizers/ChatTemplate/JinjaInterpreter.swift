// The interpreter, part 1: statements. It walks the syntax tree, writing text to an output
// string. `break` and `continue` travel back up as a `Flow` value. Limits keep any template,
// even a broken or hostile one, from running away: nesting depth, loop iterations, output size.

final class JinjaInterpreter {
    enum Flow { case normal, breakLoop, continueLoop }

    static let maxDepth = 500
    static let maxIterations = 1_000_000
    static let maxOutput = 20_000_000

    private var depth = 0
    private var iterations = 0
    private var outputSize = 0

    /// Counts one level of nesting (a statement body, an expression, a macro call).
    func enter() throws {
        depth += 1
        if depth > Self.maxDepth { throw JinjaError.runtime("maximum recursion depth exceeded (the template nests more than \(Self.maxDepth) levels)") }
    }

    func leave() { depth -= 1 }

    func write(_ text: String, to out: inout String) throws {
        outputSize += text.utf8.count
        if outputSize > Self.maxOutput { throw JinjaError.unsupported("an output longer than \(Self.maxOutput) bytes") }
        out += text
    }

    /// Renders `body` into a new string.
    func render(_ body: [JinjaNode], in scope: JinjaScope) throws -> String {
        var out = ""
        _ = try execute(body, in: scope, into: &out)
        return out
    }

    func execute(_ body: [JinjaNode], in scope: JinjaScope, into out: inout String) throws -> Flow {
        try enter()
        defer { leave() }
        for node in body {
            switch node {
            case .text(let text):
                try write(text, to: &out)
            case .output(let e):
                try write(try evaluate(e, in: scope).str(), to: &out)
            case .ifChain(let branches, let otherwise):
                var chosen = otherwise
                for branch in branches where try evaluate(branch.test, in: scope).isTruthy {
                    chosen = branch.body
                    break
                }
                let flow = try execute(chosen, in: scope, into: &out)
                if flow != .normal { return flow }
            case .forLoop(let target, let iterable, let filter, let body, let otherwise):
                try loop(target, iterable, filter, body, otherwise, in: scope, into: &out)
            case .set(let target, let e):
                try assign(target, try evaluate(e, in: scope), in: scope)
            case .setBlock(let target, let filters, let body):
                var value = JinjaValue.string(try render(body, in: JinjaScope(parent: scope)))
                for f in filters { value = try applyFilter(f, to: value, in: scope) }
                try assign(target, value, in: scope)
            case .macro(let macro):
                scope.set(macro.name, .object(makeMacro(macro, definedIn: scope)))
            case .filterBlock(let filters, let body):
                var value = JinjaValue.string(try render(body, in: JinjaScope(parent: scope)))
                for f in filters { value = try applyFilter(f, to: value, in: scope) }
                try write(try value.str(), to: &out)
            case .with(let assignments, let body):
                let inner = JinjaScope(parent: scope)
                for (target, e) in assignments { try assign(target, try evaluate(e, in: scope), in: inner) }
                let flow = try execute(body, in: inner, into: &out)
                if flow != .normal { return flow }
            case .generation(let body):
                _ = try execute(body, in: JinjaScope(parent: scope), into: &out)
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .normal
    }

    // MARK: for

    private func loop(_ target: JinjaTarget, _ iterable: JinjaExpr, _ filter: JinjaExpr?, _ body: [JinjaNode],
                      _ otherwise: [JinjaNode], in scope: JinjaScope, into out: inout String) throws {
        var items = try JinjaOperators.elements(of: try evaluate(iterable, in: scope))
        if let filter {
            // `for x in xs if test`: the test sees the loop variables (not `loop`); loop.length
            // and loop.last count only the items that pass.
            items = try items.filter { item in
                let probe = JinjaScope(parent: scope)
                try assign(target, item, in: probe)
                return try evaluate(filter, in: probe).isTruthy
            }
        }
        if items.isEmpty {
            _ = try execute(otherwise, in: JinjaScope(parent: scope), into: &out)
            return
        }
        let loop = JinjaLoop(items: items)
        for (index, item) in items.enumerated() {
            iterations += 1
            if iterations > Self.maxIterations {
                throw JinjaError.unsupported("more than \(Self.maxIterations) loop iterations in one rendering")
            }
            loop.index0 = index
            let iterationScope = JinjaScope(parent: scope)
            iterationScope.set("loop", .object(loop))
            try assign(target, item, in: iterationScope)
            if try execute(body, in: iterationScope, into: &out) == .breakLoop { break }
        }
    }

    // MARK: set

    func assign(_ target: JinjaTarget, _ value: JinjaValue, in scope: JinjaScope) throws {
        switch target {
        case .name(let name):
            scope.set(name, value)
        case .tuple(let targets):
            let items = try JinjaOperators.elements(of: value)
            if items.count < targets.count {
                throw JinjaError.runtime("not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            if items.count > targets.count { throw JinjaError.runtime("too many values to unpack (expected \(targets.count))") }
            for (t, v) in zip(targets, items) { try assign(t, v, in: scope) }
        case .namespaceAttribute(let name, let attribute):
            guard case .object(let o)? = scope.lookup(name), let ns = o as? JinjaNamespace else {
                throw JinjaError.runtime("cannot assign attribute on non-namespace object")
            }
            // The one way a template can grow a value from one iteration to the next: bound it.
            if value.nestsTooDeep() { throw JinjaValue.tooDeep() }
            ns.attributes[attribute] = value
        }
    }

    // MARK: macro

    private func makeMacro(_ macro: JinjaMacro, definedIn scope: JinjaScope) -> JinjaFunction {
        // Weak references: the scope holds the macro, so a strong one would be a cycle.
        JinjaFunction(name: macro.name, typeName: "Macro") { [weak self, weak scope] args in
            guard let self, let scope else { throw JinjaError.unsupported("calling a macro after its scope has ended") }
            return try self.call(macro, args, definedIn: scope)
        }
    }

    private func call(_ macro: JinjaMacro, _ args: JinjaArguments, definedIn scope: JinjaScope) throws -> JinjaValue {
        try enter()
        defer { leave() }
        let frame = JinjaScope(parent: scope)
        let parameters = macro.parameters
        if args.positional.count > parameters.count && !macro.takesVarargs {
            throw JinjaError.runtime("macro '\(macro.name)' takes not more than \(parameters.count) argument(s)")
        }
        var given = Set<String>()
        for (k, value) in args.positional.prefix(parameters.count).enumerated() {
            frame.set(parameters[k].name, value)
            given.insert(parameters[k].name)
        }
        var extraKeywords = JinjaDict()
        for (name, value) in args.keyword {
            if parameters.contains(where: { $0.name == name }) {
                if given.contains(name) { throw JinjaError.runtime("macro '\(macro.name)' got multiple values for argument '\(name)'") }
                frame.set(name, value)
                given.insert(name)
            } else if macro.takesKwargs {
                extraKeywords[name] = value
            } else {
                throw JinjaError.runtime("macro '\(macro.name)' takes no keyword argument '\(name)'")
            }
        }
        for parameter in parameters where !given.contains(parameter.name) {
            if let fallback = parameter.defaultValue {
                frame.set(parameter.name, try evaluate(fallback, in: frame))
            } else {
                frame.set(parameter.name, .undefined(JinjaUndefined(message: "parameter '\(parameter.name)' was not provided")))
            }
        }
        if macro.takesVarargs { frame.set("varargs", .tuple(Array(args.positional.dropFirst(parameters.count)))) }
        if macro.takesKwargs { frame.set("kwargs", .dict(extraKeywords)) }
        return .string(try render(macro.body, in: frame))
    }
}
