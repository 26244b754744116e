// The interpreter, part 2: expressions. `and` / `or` return an operand, as in Python
// (`x or 'default'`); comparisons chain (`a < b < c`); an `if` without `else` that is false
// gives an undefined value; filters and tests are looked up by name.

extension JinjaInterpreter {
    func evaluate(_ e: JinjaExpr, in scope: JinjaScope) throws -> JinjaValue {
        try enter()
        defer { leave() }
        switch e {
        case .literal(let v):
            return v
        case .name(let name):
            return scope.lookup(name) ?? .undefined(.name(name))
        case .list(let items):
            return .list(try items.map { try evaluate($0, in: scope) })
        case .tuple(let items):
            return .tuple(try items.map { try evaluate($0, in: scope) })
        case .dict(let pairs):
            var d = JinjaDict()
            for (k, v) in pairs {
                let key = try evaluate(k, in: scope)
                switch key {
                case .list, .dict, .view, .undefined:
                    if case .undefined(let u) = key { throw JinjaError.runtime(u.message) }
                    throw JinjaError.runtime("unhashable type: '\(key.typeName)'")
                default: d[key] = try evaluate(v, in: scope)
                }
            }
            return .dict(d)
        case .attribute(let object, let name):
            return try JinjaAttributes.getattr(try evaluate(object, in: scope), name)
        case .item(let object, let key):
            return try JinjaAttributes.getitem(try evaluate(object, in: scope), try evaluate(key, in: scope))
        case .slice(let object, let start, let stop, let step):
            let target = try evaluate(object, in: scope)
            return try JinjaSlicing.slice(target, try start.map { try evaluate($0, in: scope) }, try stop.map { try evaluate($0, in: scope) },
                                          try step.map { try evaluate($0, in: scope) })
        case .call(let callee, let arguments, let keywords):
            let function = try evaluate(callee, in: scope)
            let args = JinjaArguments(try arguments.map { try evaluate($0, in: scope) },
                                      keyword: try keywords.map { ($0.name, try evaluate($0.value, in: scope)) })
            return try call(function, args)
        case .filter(let value, let f):
            return try applyFilter(f, to: try evaluate(value, in: scope), in: scope)
        case .test(let value, let t, let negated):
            let v = try evaluate(value, in: scope)
            let args = JinjaArguments(try t.arguments.map { try evaluate($0, in: scope) },
                                      keyword: try t.keywords.map { ($0.name, try evaluate($0.value, in: scope)) })
            return .bool(try JinjaTests.apply(t.name, v, args) != negated)
        case .not(let a):
            return .bool(!(try evaluate(a, in: scope).isTruthy))
        case .negate(let a):
            return try JinjaOperators.negate(try evaluate(a, in: scope))
        case .plus(let a):
            return try JinjaOperators.negate(try evaluate(a, in: scope), minus: false)
        case .binary(let op, let a, let b):
            return try JinjaOperators.binary(op, try evaluate(a, in: scope), try evaluate(b, in: scope))
        case .and(let a, let b):
            let left = try evaluate(a, in: scope)
            return left.isTruthy ? try evaluate(b, in: scope) : left
        case .or(let a, let b):
            let left = try evaluate(a, in: scope)
            return left.isTruthy ? left : try evaluate(b, in: scope)
        case .compare(let first, let ops):
            var left = try evaluate(first, in: scope)
            for (op, operand) in ops {
                let right = try evaluate(operand, in: scope)
                if !(try JinjaOperators.compare(op, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let test, let then, let otherwise, let line):
            if try evaluate(test, in: scope).isTruthy { return try evaluate(then, in: scope) }
            if let otherwise { return try evaluate(otherwise, in: scope) }
            return .undefined(JinjaUndefined(message: "the inline if-expression on line \(line) evaluated to false and no else section was defined."))
        }
    }

    func call(_ function: JinjaValue, _ args: JinjaArguments) throws -> JinjaValue {
        switch function {
        case .undefined(let u):
            throw JinjaError.runtime(u.message)
        case .object(let o as JinjaFunction):
            try enter()
            defer { leave() }
            return try o.body(args)
        default:
            throw JinjaError.runtime("'\(function.typeName)' object is not callable")
        }
    }

    func applyFilter(_ f: JinjaCall, to value: JinjaValue, in scope: JinjaScope) throws -> JinjaValue {
        let args = JinjaArguments(try f.arguments.map { try evaluate($0, in: scope) },
                                  keyword: try f.keywords.map { ($0.name, try evaluate($0.value, in: scope)) })
        return try JinjaFilters.apply(f.name, value, args)
    }
}
