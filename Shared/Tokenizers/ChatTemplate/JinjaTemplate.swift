// A parsed Jinja template, rendered as jinja2 renders it in the environment Hugging Face uses
// for chat templates: ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with
// the loopcontrols extension (break, continue), its own `tojson`, `raise_exception` and
// `strftime_now`.

import Foundation

/// A Jinja template: parsed once, rendered with any variables.
///
///     let t = try JinjaTemplate(source: "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}")
///     try t.render(["messages": try OrderedJSON(parsing: #"[{"role": "user", "content": "Hi"}]"#)])
///     // "user: Hi\n"
public struct JinjaTemplate {
    public let source: String
    let body: [JinjaNode]

    /// Parses `source`; a syntax error, or a feature this interpreter does not have, throws a
    /// `JinjaError` naming it.
    public init(source: String) throws {
        self.source = source
        body = try JinjaParser.parse(source)
    }

    /// Renders with `variables` (JSON values, as Python's `json.loads` would give them).
    /// `now` and `timeZone` serve `strftime_now`.
    public func render(_ variables: [String: OrderedJSON], now: @escaping () -> Date = Date.init,
                       timeZone: TimeZone = .current) throws -> String {
        try render(values: variables.mapValues { try JinjaValue(json: $0) }, now: now, timeZone: timeZone)
    }

    func render(values: [String: JinjaValue], now: @escaping () -> Date = Date.init, timeZone: TimeZone = .current) throws -> String {
        let globals = JinjaScope(parent: nil)
        for (name, value) in JinjaGlobals.functions(clock: now, timeZone: timeZone) { globals.set(name, value) }
        let top = JinjaScope(parent: globals)
        for (name, value) in values { top.set(name, value) }
        return try JinjaInterpreter().render(body, in: top)
    }
}
