// The parser, part 1: statements. It follows jinja2's parser (the same grammar, the same error
// messages where a template is wrong). Tags jinja2 has but a chat template cannot use (include,
// extends, import, block, call, autoescape) are refused by name; so are filters and tests this
// interpreter does not implement, when the template is parsed, before anything is rendered.

struct JinjaParser {
    var tokens: [JinjaToken]
    var i = 0
    /// The end tags being looked for, innermost last, and the open tags (for messages).
    var endTagStack: [[String]] = []
    var tagStack: [String] = []
    /// How many `for` loops enclose the current statement (in the current macro).
    var loopDepth = 0
    /// Nesting of statements and of parentheses, and nodes in the current expression: bounded,
    /// so that no template can make the parser or the interpreter recurse without end.
    var nesting = 0
    var nodes = 0
    static let maxNesting = 64
    static let maxNodesPerExpression = 1000

    /// Parses a whole template.
    static func parse(_ source: String) throws -> [JinjaNode] {
        var parser = JinjaParser(tokens: try JinjaLexer.tokenize(source))
        let body = try parser.subparse(until: nil)
        return body
    }

    init(tokens: [JinjaToken]) { self.tokens = tokens }

    // MARK: The token stream

    var current: JinjaToken { tokens[i] }
    var next: JinjaToken { tokens[min(i + 1, tokens.count - 1)] }

    mutating func advance() {
        if i < tokens.count - 1 { i += 1 }
    }

    func fail(_ message: String, line: Int? = nil) -> JinjaError { .syntax(message, line: line ?? current.line) }

    func isName(_ name: String) -> Bool { current.kind == .name(name) }
    func isOp(_ op: String) -> Bool { current.kind == .op(op) }

    mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        advance()
        return true
    }

    mutating func skipOp(_ op: String) -> Bool {
        guard isOp(op) else { return false }
        advance()
        return true
    }

    /// jinja2's description of a token in messages.
    static func describe(_ kind: JinjaToken.Kind) -> String {
        switch kind {
        case .text: return "template data / text"
        case .variableBegin: return "begin of print statement"
        case .variableEnd: return "end of print statement"
        case .blockBegin: return "begin of statement block"
        case .blockEnd: return "end of statement block"
        case .name(let n): return n
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .op(let o): return o
        case .eof: return "end of template"
        }
    }

    /// Consumes a token of `kind`, or fails as jinja2's `expect` does.
    mutating func expect(_ kind: JinjaToken.Kind) throws {
        guard current.kind == kind else {
            let wanted = Self.describe(kind)
            if current.kind == .eof { throw fail("unexpected end of template, expected '\(wanted)'.") }
            throw fail("expected token '\(wanted)', got '\(Self.describe(current.kind))'")
        }
        advance()
    }

    mutating func expectName() throws -> String {
        guard case .name(let name) = current.kind else {
            if current.kind == .eof { throw fail("unexpected end of template, expected 'name'.") }
            throw fail("expected token 'name', got '\(Self.describe(current.kind))'")
        }
        advance()
        return name
    }

    mutating func nest() throws {
        nesting += 1
        if nesting > Self.maxNesting { throw fail("the template nests more than \(Self.maxNesting) levels deep") }
    }

    // MARK: Bodies

    /// Text, `{{ … }}` and statements until a block tag named in `endTags` (left current), or the end.
    mutating func subparse(until endTags: [String]?) throws -> [JinjaNode] {
        var body: [JinjaNode] = []
        if let endTags { endTagStack.append(endTags) }
        defer { if endTags != nil { endTagStack.removeLast() } }
        while true {
            switch current.kind {
            case .text(let text):
                body.append(.text(text))
                advance()
            case .variableBegin:
                advance()
                nodes = 0
                body.append(.output(try parseTuple()))
                try expect(.variableEnd)
            case .blockBegin:
                advance()
                if let endTags, case .name(let name) = current.kind, endTags.contains(name) { return body }
                body += try parseStatement()
                try expect(.blockEnd)
            case .eof:
                return body
            default:
                throw fail("unexpected '\(Self.describe(current.kind))'")
            }
        }
    }

    /// `:`? `%}` body, up to one of `endTags`; with `dropNeedle` the end tag's name is consumed.
    mutating func parseStatements(_ endTags: [String], dropNeedle: Bool = false) throws -> [JinjaNode] {
        _ = skipOp(":")
        try expect(.blockEnd)
        let body = try subparse(until: endTags)
        if current.kind == .eof { throw failEndOfTemplate(endTags) }
        if dropNeedle { advance() }
        return body
    }

    func lookingFor(_ stack: [[String]]) -> String? {
        stack.last.map { $0.map { "'\($0)'" }.joined(separator: " or ") }
    }

    func failEndOfTemplate(_ endTags: [String]) -> JinjaError {
        var message = ["Unexpected end of template."]
        if let looking = lookingFor(endTagStack + [endTags]) {
            message.append("Jinja was looking for the following tags: \(looking).")
        }
        if let open = tagStack.last { message.append("The innermost block that needs to be closed is '\(open)'.") }
        return fail(message.joined(separator: " "))
    }

    func failUnknownTag(_ name: String) -> JinjaError {
        var message = ["Encountered unknown tag '\(name)'."]
        if let looking = lookingFor(endTagStack) {
            if endTagStack.joined().contains(name) {
                message.append("You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for \(looking).")
            } else {
                message.append("Jinja was looking for the following tags: \(looking).")
            }
        }
        if let open = tagStack.last { message.append("The innermost block that needs to be closed is '\(open)'.") }
        return fail(message.joined(separator: " "))
    }

    // MARK: Statements

    mutating func parseStatement() throws -> [JinjaNode] {
        guard case .name(let tag) = current.kind else { throw fail("tag name expected") }
        try nest()
        defer { nesting -= 1 }
        nodes = 0
        let known = ["for", "if", "set", "macro", "filter", "with", "print", "break", "continue", "generation"]
        guard known.contains(tag) else {
            switch tag {
            case "include", "extends", "import", "from", "block":
                throw JinjaError.unsupported("the tag '\(tag)' (a chat template is a single template; it cannot load others)")
            case "call", "autoescape":
                throw JinjaError.unsupported("the tag '\(tag)'")
            default:
                throw failUnknownTag(tag)
            }
        }
        tagStack.append(tag)
        defer { tagStack.removeLast() }
        let line = current.line
        advance()
        switch tag {
        case "for": return [try parseFor()]
        case "if": return [try parseIf()]
        case "set": return [try parseSet()]
        case "macro": return [try parseMacro()]
        case "filter":
            let filters = try parseFilterChain(inline: true)
            return [.filterBlock(filters, body: try parseStatements(["endfilter"], dropNeedle: true))]
        case "with": return [try parseWith()]
        case "print":
            var outputs: [JinjaNode] = []
            while current.kind != .blockEnd {
                if !outputs.isEmpty { try expect(.op(",")) }
                outputs.append(.output(try parseExpression()))
            }
            return outputs
        case "break", "continue":
            guard loopDepth > 0 else { throw fail("'\(tag)' outside loop", line: line) }
            return [tag == "break" ? .breakLoop : .continueLoop]
        default:                                                     // generation
            let saved = loopDepth
            loopDepth = 0
            defer { loopDepth = saved }
            return [.generation(try parseStatements(["endgeneration"], dropNeedle: true))]
        }
    }

    mutating func parseFor() throws -> JinjaNode {
        let target = try parseAssignTarget(extraEnd: ["in"])
        guard skipName("in") else { throw fail("expected token 'in', got '\(Self.describe(current.kind))'") }
        let iterable = try parseTuple(withConditional: false, extraEnd: ["recursive"])
        var filter: JinjaExpr?
        if skipName("if") { filter = try parseExpression() }
        if isName("recursive") { throw JinjaError.unsupported("recursive for loops") }
        loopDepth += 1
        let body = try parseStatements(["endfor", "else"])
        loopDepth -= 1
        let isEnd = isName("endfor")
        advance()
        let otherwise = isEnd ? [] : try parseStatements(["endfor"], dropNeedle: true)
        return .forLoop(target: target, iterable: iterable, filter: filter, body: body, otherwise: otherwise)
    }

    mutating func parseIf() throws -> JinjaNode {
        var branches: [(test: JinjaExpr, body: [JinjaNode])] = []
        var otherwise: [JinjaNode] = []
        while true {
            nodes = 0
            let test = try parseTuple(withConditional: false)
            branches.append((test, try parseStatements(["elif", "else", "endif"])))
            let tag = current.kind
            advance()
            if tag == .name("elif") { continue }
            if tag == .name("else") { otherwise = try parseStatements(["endif"], dropNeedle: true) }
            break
        }
        return .ifChain(branches, otherwise: otherwise)
    }

    mutating func parseSet() throws -> JinjaNode {
        let target = try parseAssignTarget(withNamespace: true)
        if skipOp("=") { return .set(target, try parseTuple()) }
        let filters = try parseFilterChain(inline: false)
        return .setBlock(target, filters: filters, body: try parseStatements(["endset"], dropNeedle: true))
    }

    mutating func parseMacro() throws -> JinjaNode {
        let name = try expectName()
        try expect(.op("("))
        var parameters: [(name: String, defaultValue: JinjaExpr?)] = []
        while !isOp(")") {
            if !parameters.isEmpty { try expect(.op(",")) }
            let parameter = try expectName()
            if ["true", "false", "none", "True", "False", "None"].contains(parameter) { throw fail("can't assign to 'const'") }
            if skipOp("=") {
                parameters.append((parameter, try parseExpression()))
            } else {
                if parameters.contains(where: { $0.defaultValue != nil }) { throw fail("non-default argument follows default argument") }
                parameters.append((parameter, nil))
            }
        }
        try expect(.op(")"))
        let savedLoops = loopDepth
        loopDepth = 0
        defer { loopDepth = savedLoops }
        let body = try parseStatements(["endmacro"], dropNeedle: true)
        let reads = JinjaNames.read(in: body)
        return .macro(JinjaMacro(name: name, parameters: parameters, body: body,
                                 takesVarargs: reads.contains("varargs"), takesKwargs: reads.contains("kwargs")))
    }

    mutating func parseWith() throws -> JinjaNode {
        var assignments: [(target: JinjaTarget, value: JinjaExpr)] = []
        while current.kind != .blockEnd {
            if !assignments.isEmpty { try expect(.op(",")) }
            let target = try parseAssignTarget()
            try expect(.op("="))
            assignments.append((target, try parseExpression()))
        }
        return .with(assignments, body: try parseStatements(["endwith"], dropNeedle: true))
    }

    /// A `set`/`for`/`with` target: names, a tuple of names, or (for `set`) `ns.attr`.
    mutating func parseAssignTarget(extraEnd: [String] = [], withNamespace: Bool = false) throws -> JinjaTarget {
        let line = current.line
        var targets: [JinjaTarget] = []
        var isTuple = false
        while true {
            if !targets.isEmpty { try expect(.op(",")) }
            if isTupleEnd(extraEnd) { break }
            targets.append(try parseTargetPrimary(withNamespace: withNamespace))
            if isOp(",") { isTuple = true } else { break }
        }
        if !isTuple {
            guard let only = targets.first else { throw fail("Expected an expression, got '\(Self.describe(current.kind))'") }
            return only
        }
        if targets.isEmpty { throw fail("can't assign to 'tuple'", line: line) }
        return .tuple(targets)
    }

    mutating func parseTargetPrimary(withNamespace: Bool) throws -> JinjaTarget {
        switch current.kind {
        case .name(let name):
            advance()
            if ["true", "false", "none", "True", "False", "None"].contains(name) { throw fail("can't assign to 'const'") }
            if withNamespace && skipOp(".") { return .namespaceAttribute(name, try expectName()) }
            return .name(name)
        case .op("("):
            advance()
            try nest()
            defer { nesting -= 1 }
            let inner = try parseAssignTarget()
            try expect(.op(")"))
            return inner
        case .string, .integer, .float: throw fail("can't assign to 'const'")
        case .op("["): throw fail("can't assign to 'list'")
        case .op("{"): throw fail("can't assign to 'dict'")
        default: throw fail("unexpected '\(Self.describe(current.kind))'")
        }
    }

    func isTupleEnd(_ extraEnd: [String]) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .op(")"): return true
        case .name(let n): return extraEnd.contains(n)
        default: return false
        }
    }
}

/// The names a body reads (to know whether a macro uses `varargs` or `kwargs`).
enum JinjaNames {
    static func read(in body: [JinjaNode]) -> Set<String> {
        var names = Set<String>()
        func expr(_ e: JinjaExpr?) {
            guard let e else { return }
            switch e {
            case .literal: break
            case .name(let n): names.insert(n)
            case .list(let a), .tuple(let a): a.forEach(expr)
            case .dict(let pairs): pairs.forEach { expr($0.key); expr($0.value) }
            case .attribute(let a, _): expr(a)
            case .item(let a, let b): expr(a); expr(b)
            case .slice(let a, let s, let t, let u): expr(a); expr(s); expr(t); expr(u)
            case .call(let f, let args, let kws): expr(f); args.forEach(expr); kws.forEach { expr($0.value) }
            case .filter(let v, let c), .test(let v, let c, _): expr(v); call(c)
            case .not(let a), .negate(let a), .plus(let a): expr(a)
            case .binary(_, let a, let b), .and(let a, let b), .or(let a, let b): expr(a); expr(b)
            case .compare(let a, let ops): expr(a); ops.forEach { expr($0.1) }
            case .conditional(let t, let a, let b, _): expr(t); expr(a); expr(b)
            }
        }
        func call(_ c: JinjaCall) { c.arguments.forEach(expr); c.keywords.forEach { expr($0.value) } }
        func nodes(_ body: [JinjaNode]) {
            for node in body {
                switch node {
                case .text, .breakLoop, .continueLoop: break
                case .output(let e), .set(_, let e): expr(e)
                case .ifChain(let branches, let otherwise):
                    branches.forEach { expr($0.test); nodes($0.body) }
                    nodes(otherwise)
                case .forLoop(_, let iterable, let filter, let body, let otherwise):
                    expr(iterable); expr(filter); nodes(body); nodes(otherwise)
                case .setBlock(_, let filters, let body), .filterBlock(let filters, let body):
                    filters.forEach(call); nodes(body)
                case .macro(let m): m.parameters.forEach { expr($0.defaultValue) }; nodes(m.body)
                case .with(let assignments, let body): assignments.forEach { expr($0.value) }; nodes(body)
                case .generation(let body): nodes(body)
                }
            }
        }
        nodes(body)
        return names
    }
}
