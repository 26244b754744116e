// The syntax tree the parser builds and the interpreter walks: statements (text, output, if,
// for, set, macro, …) and expressions (literals, names, operators, filters, tests, calls).

/// An expression: something with a value.
indirect enum JinjaExpr {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpr])
    case tuple([JinjaExpr])
    case dict([(key: JinjaExpr, value: JinjaExpr)])
    /// `a.b`: an attribute first, then an item (jinja2's `getattr`).
    case attribute(JinjaExpr, String)
    /// `a[b]`: an item first, then an attribute (jinja2's `getitem`).
    case item(JinjaExpr, JinjaExpr)
    /// `a[start:stop:step]`
    case slice(JinjaExpr, start: JinjaExpr?, stop: JinjaExpr?, step: JinjaExpr?)
    case call(JinjaExpr, [JinjaExpr], [(name: String, value: JinjaExpr)])
    /// `value | name(args)`
    case filter(JinjaExpr, JinjaCall)
    /// `value is [not] name(args)`
    case test(JinjaExpr, JinjaCall, negated: Bool)
    case not(JinjaExpr)
    case negate(JinjaExpr)
    case plus(JinjaExpr)
    /// Arithmetic and `~`: "+", "-", "*", "/", "//", "%", "**", "~".
    case binary(String, JinjaExpr, JinjaExpr)
    case and(JinjaExpr, JinjaExpr)
    case or(JinjaExpr, JinjaExpr)
    /// `a < b <= c`: "==", "!=", "<", "<=", ">", ">=", "in", "not in".
    case compare(JinjaExpr, [(op: String, JinjaExpr)])
    /// `a if cond else b`; without `else`, an undefined value (with jinja2's message and line).
    case conditional(test: JinjaExpr, then: JinjaExpr, otherwise: JinjaExpr?, line: Int)
}

/// A filter or test by name, with its arguments.
struct JinjaCall {
    let name: String
    let arguments: [JinjaExpr]
    let keywords: [(name: String, value: JinjaExpr)]
    let line: Int
}

/// Where `set` and `for` store a value.
indirect enum JinjaTarget {
    case name(String)
    /// `a, b`: unpacks a sequence of exactly that length.
    case tuple([JinjaTarget])
    /// `ns.attr`: an attribute of a namespace (only `set`).
    case namespaceAttribute(String, String)
}

/// A macro's definition.
struct JinjaMacro {
    let name: String
    let parameters: [(name: String, defaultValue: JinjaExpr?)]
    let body: [JinjaNode]
    /// Whether the body reads `varargs` / `kwargs` (then extra arguments are accepted).
    let takesVarargs: Bool
    let takesKwargs: Bool
}

/// A statement, or text to copy.
indirect enum JinjaNode {
    case text(String)
    case output(JinjaExpr)
    case ifChain([(test: JinjaExpr, body: [JinjaNode])], otherwise: [JinjaNode])
    case forLoop(target: JinjaTarget, iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode])
    case set(JinjaTarget, JinjaExpr)
    /// `{% set x | filters %}…{% endset %}`
    case setBlock(JinjaTarget, filters: [JinjaCall], body: [JinjaNode])
    case macro(JinjaMacro)
    /// `{% filter f %}…{% endfilter %}`
    case filterBlock([JinjaCall], body: [JinjaNode])
    /// `{% with a = 1 %}…{% endwith %}`
    case with([(target: JinjaTarget, value: JinjaExpr)], body: [JinjaNode])
    /// Hugging Face's `{% generation %}…{% endgeneration %}`: renders its body (transformers
    /// only records where it starts and ends, for training masks).
    case generation([JinjaNode])
    case breakLoop
    case continueLoop
}
