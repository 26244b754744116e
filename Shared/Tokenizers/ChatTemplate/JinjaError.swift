// What can go wrong with a template: it does not parse, it uses a feature this interpreter does
// not have, it raised an error on purpose (`raise_exception`), or an operation failed while it
// ran (an undefined value used, a type error, …). Every one carries a message for a person.

/// An error from parsing or rendering a Jinja template.
///
///     do { _ = try JinjaTemplate(source: "{% if x %}") }
///     catch let e as JinjaError { print(e) }   // "line 1: Unexpected end of template. …"
public enum JinjaError: Error, Equatable, CustomStringConvertible {
    /// The template is not valid Jinja (what jinja2 reports as a TemplateSyntaxError).
    case syntax(String, line: Int)
    /// A valid Jinja feature this interpreter does not implement: it refuses rather than
    /// render something different from what `transformers` would.
    case unsupported(String)
    /// `raise_exception(message)`: the template refused its input (e.g. roles must alternate).
    case raised(String)
    /// An operation failed at run time (undefined value, wrong type, …), as jinja2 would.
    case runtime(String)

    /// The message alone, as Python's `str(error)` gives it for a raised exception.
    public var message: String {
        switch self {
        case .syntax(let m, let line): return "line \(line): \(m)"
        case .unsupported(let m): return "not supported by the course's Jinja interpreter: \(m)"
        case .raised(let m), .runtime(let m): return m
        }
    }

    public var description: String { message }
}
