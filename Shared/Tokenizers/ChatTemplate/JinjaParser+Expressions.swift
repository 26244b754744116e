// The parser, part 2: expressions, by jinja2's precedence, loosest first:
//
//   a if b else c  ·  or  ·  and  ·  not  ·  == != < <= > >= in, not in  ·  + -  ·  ~  ·
//   * / // %  ·  **  ·  unary - +  ·  postfix .attr [item] (call)  ·  | filter, is test
//
// A filter binds tighter than any operator: `'a' + b | trim` trims b only, and `-x|abs` is
// abs(-x) (the filter applies after the unary minus).

extension JinjaParser {
    /// Counts a new node of the current expression, which may hold at most `maxNodesPerExpression`.
    mutating func node(_ e: JinjaExpr) throws -> JinjaExpr {
        nodes += 1
        if nodes > Self.maxNodesPerExpression { throw fail("an expression has more than \(Self.maxNodesPerExpression) parts") }
        return e
    }

    /// Expressions separated by commas (a tuple), or one expression.
    mutating func parseTuple(withConditional: Bool = true, extraEnd: [String] = [], explicitParentheses: Bool = false) throws -> JinjaExpr {
        var items: [JinjaExpr] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expect(.op(",")) }
            if isTupleEnd(extraEnd) { break }
            items.append(withConditional ? try parseExpression() : try parseOr())
            if isOp(",") { isTuple = true } else { break }
        }
        if !isTuple {
            if let only = items.first { return only }
            if !explicitParentheses { throw fail("Expected an expression, got '\(Self.describe(current.kind))'") }
        }
        return try node(.tuple(items))
    }

    mutating func parseExpression() throws -> JinjaExpr {
        try nest()
        defer { nesting -= 1 }
        var e = try parseOr()
        while true {
            let line = current.line
            guard skipName("if") else { break }
            let test = try parseOr()
            let otherwise = skipName("else") ? try parseExpression() : nil
            e = try node(.conditional(test: test, then: e, otherwise: otherwise, line: line))
        }
        return e
    }

    mutating func parseOr() throws -> JinjaExpr {
        var e = try parseAnd()
        while skipName("or") { e = try node(.or(e, try parseAnd())) }
        return e
    }

    mutating func parseAnd() throws -> JinjaExpr {
        var e = try parseNot()
        while skipName("and") { e = try node(.and(e, try parseNot())) }
        return e
    }

    mutating func parseNot() throws -> JinjaExpr {
        guard isName("not") else { return try parseCompare() }
        advance()
        try nest()
        defer { nesting -= 1 }
        return try node(.not(try parseNot()))
    }

    mutating func parseCompare() throws -> JinjaExpr {
        let first = try parseMath1()
        var ops: [(op: String, JinjaExpr)] = []
        while true {
            if case .op(let o) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                advance()
                ops.append((o, try parseMath1()))
            } else if skipName("in") {
                ops.append(("in", try parseMath1()))
            } else if isName("not"), next.kind == .name("in") {
                advance()
                advance()
                ops.append(("not in", try parseMath1()))
            } else {
                break
            }
        }
        return ops.isEmpty ? first : try node(.compare(first, ops))
    }

    mutating func parseMath1() throws -> JinjaExpr {
        var e = try parseConcat()
        while case .op(let o) = current.kind, o == "+" || o == "-" {
            advance()
            e = try node(.binary(o, e, try parseConcat()))
        }
        return e
    }

    mutating func parseConcat() throws -> JinjaExpr {
        var e = try parseMath2()
        while skipOp("~") { e = try node(.binary("~", e, try parseMath2())) }
        return e
    }

    mutating func parseMath2() throws -> JinjaExpr {
        var e = try parsePow()
        while case .op(let o) = current.kind, ["*", "/", "//", "%"].contains(o) {
            advance()
            e = try node(.binary(o, e, try parsePow()))
        }
        return e
    }

    mutating func parsePow() throws -> JinjaExpr {
        var e = try parseUnary()
        while skipOp("**") { e = try node(.binary("**", e, try parseUnary())) }
        return e
    }

    mutating func parseUnary(withFilter: Bool = true) throws -> JinjaExpr {
        var e: JinjaExpr
        if isOp("-") || isOp("+") {
            let minus = isOp("-")
            advance()
            try nest()
            defer { nesting -= 1 }
            let operand = try parseUnary(withFilter: false)
            e = try node(minus ? .negate(operand) : .plus(operand))
        } else {
            e = try parsePrimary()
        }
        e = try parsePostfix(e)
        if withFilter { e = try parseFilterExpression(e) }
        return e
    }

    mutating func parsePrimary() throws -> JinjaExpr {
        let token = current
        switch token.kind {
        case .name(let name):
            advance()
            switch name {
            case "true", "True": return try node(.literal(.bool(true)))
            case "false", "False": return try node(.literal(.bool(false)))
            case "none", "None": return try node(.literal(.none))
            default: return try node(.name(name))
            }
        case .string(let s):
            advance()
            var text = s
            while case .string(let more) = current.kind {                 // 'a' 'b' is 'ab'
                text += more
                advance()
            }
            return try node(.literal(.string(text)))
        case .integer(let v):
            advance()
            return try node(.literal(.int(v)))
        case .float(let v):
            advance()
            return try node(.literal(.float(v)))
        case .op("("):
            advance()
            try nest()
            defer { nesting -= 1 }
            let e = try parseTuple(explicitParentheses: true)
            try expect(.op(")"))
            return e
        case .op("["):
            advance()
            try nest()
            defer { nesting -= 1 }
            var items: [JinjaExpr] = []
            while !isOp("]") {
                if !items.isEmpty { try expect(.op(",")) }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            try expect(.op("]"))
            return try node(.list(items))
        case .op("{"):
            advance()
            try nest()
            defer { nesting -= 1 }
            var pairs: [(key: JinjaExpr, value: JinjaExpr)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expect(.op(",")) }
                if isOp("}") { break }
                let key = try parseExpression()
                try expect(.op(":"))
                pairs.append((key, try parseExpression()))
            }
            try expect(.op("}"))
            return try node(.dict(pairs))
        default:
            throw fail("unexpected '\(Self.describe(token.kind))'")
        }
    }

    /// `.name`, `.0`, `[…]` and `(…)` after a primary.
    mutating func parsePostfix(_ start: JinjaExpr) throws -> JinjaExpr {
        var e = start
        while true {
            if isOp(".") {
                advance()
                switch current.kind {
                case .name(let n): advance(); e = try node(.attribute(e, n))
                case .integer(let k): advance(); e = try node(.item(e, .literal(.int(k))))
                default: throw fail("expected name or number")
                }
            } else if isOp("[") {
                advance()
                try nest()
                defer { nesting -= 1 }
                var subscripts: [JinjaExpr] = []
                while !isOp("]") {
                    if !subscripts.isEmpty { try expect(.op(",")) }
                    subscripts.append(try parseSubscript(of: e))
                }
                try expect(.op("]"))
                if subscripts.count == 1, case .slice = subscripts[0] {
                    e = subscripts[0]
                } else if subscripts.count == 1 {
                    e = try node(.item(e, subscripts[0]))
                } else {
                    if subscripts.contains(where: { if case .slice = $0 { return true } else { return false } }) {
                        throw JinjaError.unsupported("a slice inside a multi-part subscript")
                    }
                    e = try node(.item(e, .tuple(subscripts)))
                }
            } else if isOp("(") {
                e = try parseCall(e)
            } else {
                return e
            }
        }
    }

    /// One subscript: an expression, or a slice `start:stop:step` (any part may be missing).
    mutating func parseSubscript(of target: JinjaExpr) throws -> JinjaExpr {
        var start: JinjaExpr?
        if !isOp(":") {
            let e = try parseExpression()
            if !isOp(":") { return e }
            start = e
        }
        advance()                                                         // the first ":"
        var stop: JinjaExpr?, step: JinjaExpr?
        if !isOp(":") && !isOp("]") && !isOp(",") { stop = try parseExpression() }
        if skipOp(":"), !isOp("]") && !isOp(",") { step = try parseExpression() }
        return try node(.slice(target, start: start, stop: stop, step: step))
    }

    mutating func parseCallArguments() throws -> (arguments: [JinjaExpr], keywords: [(name: String, value: JinjaExpr)]) {
        let line = current.line
        try expect(.op("("))
        try nest()
        defer { nesting -= 1 }
        var arguments: [JinjaExpr] = []
        var keywords: [(name: String, value: JinjaExpr)] = []
        var needComma = false
        while !isOp(")") {
            if needComma {
                try expect(.op(","))
                if isOp(")") { break }
            }
            if isOp("*") || isOp("**") { throw JinjaError.unsupported("*args and **kwargs in a call") }
            if case .name(let n) = current.kind, next.kind == .op("=") {
                advance()
                advance()
                if keywords.contains(where: { $0.name == n }) { throw fail("invalid syntax for function call expression", line: line) }
                keywords.append((n, try parseExpression()))
            } else {
                if !keywords.isEmpty { throw fail("invalid syntax for function call expression", line: line) }
                arguments.append(try parseExpression())
            }
            needComma = true
        }
        try expect(.op(")"))
        return (arguments, keywords)
    }

    mutating func parseCall(_ callee: JinjaExpr) throws -> JinjaExpr {
        let (arguments, keywords) = try parseCallArguments()
        return try node(.call(callee, arguments, keywords))
    }

    /// Filters, tests and calls after a value: `x | trim | default('a')`, `x is not none`.
    mutating func parseFilterExpression(_ start: JinjaExpr) throws -> JinjaExpr {
        var e = start
        while true {
            if isOp("|") {
                advance()
                e = try node(.filter(e, try parseFilterCall()))
            } else if isName("is") {
                e = try parseTest(e)
            } else if isOp("(") {
                e = try parseCall(e)
            } else {
                return e
            }
        }
    }

    /// The filters of `{% filter … %}` (inline: the first has no `|`) or of `{% set x | … %}`.
    mutating func parseFilterChain(inline: Bool) throws -> [JinjaCall] {
        var calls: [JinjaCall] = []
        var first = inline
        while first || isOp("|") {
            if !first { advance() }
            first = false
            calls.append(try parseFilterCall())
        }
        return calls
    }

    /// `name(args)` after `|`; unknown and unsupported filters fail here, at parse time.
    mutating func parseFilterCall() throws -> JinjaCall {
        let line = current.line
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        try JinjaFilters.check(name, line: line)
        let (arguments, keywords) = isOp("(") ? try parseCallArguments() : ([], [])
        return JinjaCall(name: name, arguments: arguments, keywords: keywords, line: line)
    }

    mutating func parseTest(_ value: JinjaExpr) throws -> JinjaExpr {
        let line = current.line
        advance()                                                         // is
        let negated = skipName("not")
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        try JinjaTests.check(name, line: line)
        var arguments: [JinjaExpr] = []
        var keywords: [(name: String, value: JinjaExpr)] = []
        if isOp("(") {
            (arguments, keywords) = try parseCallArguments()
        } else {
            // One argument without parentheses: `x is divisibleby 3`, `x is sameas false`.
            var startsArgument = false
            switch current.kind {
            case .name(let n): startsArgument = !["else", "or", "and"].contains(n)
            case .string, .integer, .float, .op("("), .op("["), .op("{"): startsArgument = true
            default: break
            }
            if startsArgument {
                if isName("is") { throw fail("You cannot chain multiple tests with is") }
                arguments = [try parsePostfix(try parsePrimary())]
            }
        }
        return try node(.test(value, JinjaCall(name: name, arguments: arguments, keywords: keywords, line: line), negated: negated))
    }
}
