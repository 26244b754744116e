// Where names live while a template runs, and the `loop` variable.
//
// jinja2's scoping: `{% set %}` writes to the innermost scope. A `for` loop's body runs in a new
// scope per iteration (a `set` inside a loop is gone after the iteration: that is why templates
// use `namespace`); so do macro calls, `with` and block `set`. `if` makes no scope.

/// A scope: its own names, then its parent's.
final class JinjaScope {
    private var names: [String: JinjaValue] = [:]
    let parent: JinjaScope?

    init(parent: JinjaScope?) { self.parent = parent }

    func lookup(_ name: String) -> JinjaValue? {
        var scope: JinjaScope? = self
        while let s = scope {
            if let v = s.names[name] { return v }
            scope = s.parent
        }
        return nil
    }

    func set(_ name: String, _ value: JinjaValue) { names[name] = value }
}

/// The `loop` variable of a `for` loop.
final class JinjaLoop: JinjaObject {
    let items: [JinjaValue]
    var index0 = 0
    private var lastChanged: [JinjaValue]?

    init(items: [JinjaValue]) { self.items = items }

    var typeName: String { "LoopContext" }

    func repr(depth: Int) -> String? { "<LoopContext \(index0 + 1)/\(items.count)>" }

    func attribute(_ name: String) -> JinjaValue? {
        let length = items.count
        switch name {
        case "index": return .int(index0 + 1)
        case "index0": return .int(index0)
        case "revindex": return .int(length - index0)
        case "revindex0": return .int(length - index0 - 1)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == length - 1)
        case "length": return .int(length)
        case "depth": return .int(1)
        case "depth0": return .int(0)
        case "previtem":
            return index0 > 0 ? items[index0 - 1] : .undefined(JinjaUndefined(message: "there is no previous item"))
        case "nextitem":
            return index0 + 1 < length ? items[index0 + 1] : .undefined(JinjaUndefined(message: "there is no next item"))
        case "cycle":
            return .object(JinjaFunction(name: "loop.cycle") { [index0] args in
                guard !args.positional.isEmpty else { throw JinjaError.runtime("no items for cycling given") }
                return args.positional[index0 % args.positional.count]
            })
        case "changed":
            return .object(JinjaFunction(name: "loop.changed") { [weak self] args in
                guard let self else { return .bool(false) }
                let value = args.positional
                if let last = self.lastChanged, last.count == value.count, zip(last, value).allSatisfy({ JinjaOperators.equal($0, $1) }) {
                    return .bool(false)
                }
                self.lastChanged = value
                return .bool(true)
            })
        default: return nil
        }
    }
}
