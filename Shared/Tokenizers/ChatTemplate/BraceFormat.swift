// Python's `str.format` for the simple fields templates use: `{}`, `{0}`, `{name}`, with an
// optional `!s` / `!r` conversion, and `{{` / `}}` for braces. Format specs (`{:>10}`) and
// field paths (`{0.name}`) are refused by name.

enum BraceFormat {
    static func format(_ template: String, _ args: JinjaArguments) throws -> String {
        let f = PyString.scalars(template)
        var out = String.UnicodeScalarView()
        var i = 0, auto = 0
        var usedManual = false, usedAuto = false
        while i < f.count {
            let c = f[i]
            if c == "}" {
                guard i + 1 < f.count, f[i + 1] == "}" else { throw JinjaError.runtime("Single '}' encountered in format string") }
                out.append("}")
                i += 2
                continue
            }
            guard c == "{" else { out.append(c); i += 1; continue }
            if i + 1 < f.count, f[i + 1] == "{" { out.append("{"); i += 2; continue }
            guard let close = f[i...].firstIndex(of: "}") else { throw JinjaError.runtime("expected '}' before end of string") }
            var field = PyString.string(f[(i + 1)..<close])
            i = close + 1
            var conversion: Character?
            if let bang = field.firstIndex(of: "!") {
                let rest = field[field.index(after: bang)...]
                guard rest.count == 1, let conv = rest.first, conv == "s" || conv == "r" else {
                    throw JinjaError.unsupported("the str.format field {\(field)}")
                }
                conversion = conv
                field = String(field[..<bang])
            }
            if field.contains(":") || field.contains(".") || field.contains("[") {
                throw JinjaError.unsupported("the str.format field {\(field)} (format specs and field paths)")
            }
            let value: JinjaValue
            if field.isEmpty {
                guard !usedManual else { throw JinjaError.runtime("cannot switch from manual field specification to automatic field numbering") }
                usedAuto = true
                guard auto < args.positional.count else { throw JinjaError.runtime("Replacement index \(auto) out of range for positional args tuple") }
                value = args.positional[auto]
                auto += 1
            } else if let n = Int(field) {
                guard !usedAuto else { throw JinjaError.runtime("cannot switch from automatic field numbering to manual field specification") }
                usedManual = true
                guard n >= 0, n < args.positional.count else { throw JinjaError.runtime("Replacement index \(n) out of range for positional args tuple") }
                value = args.positional[n]
            } else {
                guard let v = args.keyword.first(where: { $0.name == field })?.value else { throw JinjaError.runtime("KeyError: \(PyString.repr(field))") }
                value = v
            }
            out.append(contentsOf: (conversion == "r" ? try value.repr() : try value.str()).unicodeScalars)
        }
        return String(out)
    }
}
