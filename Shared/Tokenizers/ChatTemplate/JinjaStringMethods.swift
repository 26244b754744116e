// Python's str methods a template may call: `message.content.strip()`,
// `text.split('\n')`, `name.startswith('tool')`, `', '.join(names)`, … Each is bound to its
// string and checks its arguments as Python does.

enum JinjaStringMethods {
    /// `s.name` as a bound method, or nil when this interpreter does not implement it.
    static func method(_ name: String, of s: String) -> JinjaValue? {
        guard let body = implementation(name, s) else { return nil }
        return JinjaAttributes.bound("str", name, body)
    }

    static func string(_ v: JinjaValue, _ function: String) throws -> String {
        guard case .string(let s) = v else {
            throw JinjaError.runtime("\(function) argument must be str, not \(v.typeName)")
        }
        return s
    }

    static func optionalString(_ v: JinjaValue, _ function: String) throws -> String? {
        if case .none = v { return nil }
        return try string(v, function)
    }

    static func int(_ v: JinjaValue, _ function: String) throws -> Int {
        guard case .int(let i)? = JinjaOperators.number(v) else {
            throw JinjaError.runtime("'\(v.typeName)' object cannot be interpreted as an integer")
        }
        return i
    }

    /// The prefixes/suffixes of startswith/endswith: a str or a tuple of str.
    static func affixes(_ v: JinjaValue, _ function: String) throws -> [String] {
        if case .tuple(let items) = v { return try items.map { try string($0, function) } }
        guard case .string(let s) = v else {
            throw JinjaError.runtime("\(function) first arg must be str or a tuple of str, not \(v.typeName)")
        }
        return [s]
    }

    static func padded(_ s: String, _ width: Int, _ fill: String, left: Bool, right: Bool) throws -> String {
        guard fill.unicodeScalars.count == 1 else { throw JinjaError.runtime("The fill character must be exactly one character long") }
        let pad = max(0, width - PyString.length(s))
        guard pad <= JinjaOperators.maxRepetition else { throw JinjaError.unsupported("a padding longer than \(JinjaOperators.maxRepetition)") }
        // Python's center puts the extra space on the right when the width is odd… unless the
        // string length is odd too: half = pad / 2 + (pad & width & 1).
        let leftPad = left && right ? pad / 2 + (pad & width & 1) : left ? pad : 0
        return String(repeating: fill, count: leftPad) + s + String(repeating: fill, count: pad - leftPad)
    }

    static func implementation(_ name: String, _ s: String) -> ((JinjaArguments) throws -> JinjaValue)? {
        let f = "str.\(name)"
        switch name {
        case "strip", "lstrip", "rstrip":
            return { args in
                let chars = try optionalString(try args.bind(f, [("chars", JinjaValue.none)])[0], f)
                return .string(PyString.strip(s, chars, leading: name != "rstrip", trailing: name != "lstrip"))
            }
        case "split", "rsplit":
            return { args in
                let a = try args.bind(f, [("sep", JinjaValue.none), ("maxsplit", .int(-1))])
                let sep = try optionalString(a[0], f), maxsplit = try int(a[1], f)
                let parts = name == "split" ? try PyString.split(s, sep, maxsplit: maxsplit) : try PyString.rsplit(s, sep, maxsplit: maxsplit)
                return .list(parts.map(JinjaValue.string))
            }
        case "splitlines":
            return { args in
                let keep = try args.bind(f, [("keepends", .bool(false))])[0].isTruthy
                return .list(PyString.splitlines(s, keepends: keep).map(JinjaValue.string))
            }
        case "startswith", "endswith":
            return { args in
                let a = try args.bind(f, [("prefix", nil), ("start", JinjaValue.none), ("end", JinjaValue.none)])
                guard a[1].isNone, a[2].isNone else { throw JinjaError.unsupported("the start and end arguments of \(f)") }
                let affixes = try affixes(a[0], name)
                return .bool(affixes.contains { name == "startswith" ? s.unicodeScalars.starts(with: $0.unicodeScalars)
                                                                     : s.unicodeScalars.reversed().starts(with: $0.unicodeScalars.reversed()) })
            }
        case "upper": return { args in _ = try args.bind(f, []); return .string(PyString.upper(s)) }
        case "lower": return { args in _ = try args.bind(f, []); return .string(PyString.lower(s)) }
        case "title": return { args in _ = try args.bind(f, []); return .string(PyString.title(s)) }
        case "capitalize": return { args in _ = try args.bind(f, []); return .string(PyString.capitalize(s)) }
        case "replace":
            return { args in
                let a = try args.bind(f, [("old", nil), ("new", nil), ("count", .int(-1))])
                return .string(PyString.replace(s, try string(a[0], f), try string(a[1], f), count: try int(a[2], f)))
            }
        case "find", "rfind", "index", "rindex":
            return { args in
                let sub = try string(try args.bind(f, [("sub", nil)])[0], f)
                let i = PyString.find(s, sub, fromRight: name.hasPrefix("r"))
                if i < 0 && name.hasSuffix("index") { throw JinjaError.runtime("substring not found") }
                return .int(i)
            }
        case "count":
            return { args in .int(PyString.count(s, try string(try args.bind(f, [("sub", nil)])[0], f))) }
        case "join":
            return { args in
                let items = try JinjaOperators.elements(of: try args.bind(f, [("iterable", nil)])[0])
                let parts = try items.enumerated().map { k, item -> String in
                    guard case .string(let t) = item else {
                        throw JinjaError.runtime("sequence item \(k): expected str instance, \(item.typeName) found")
                    }
                    return t
                }
                return .string(parts.joined(separator: s))
            }
        case "removeprefix", "removesuffix":
            return { args in
                let affix = try string(try args.bind(f, [("affix", nil)])[0], f)
                let a = PyString.scalars(s), b = PyString.scalars(affix)
                if name == "removeprefix" { return .string(a.starts(with: b) ? PyString.string(a.dropFirst(b.count)) : s) }
                return .string(a.reversed().starts(with: b.reversed()) ? PyString.string(a.dropLast(b.count)) : s)
            }
        case "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper":
            return { args in
                _ = try args.bind(f, [])
                let scalars = PyString.scalars(s)
                switch name {
                case "isdigit": return .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit })
                case "isalpha": return .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic && $0.properties.generalCategory.isLetter })
                case "isalnum": return .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.generalCategory.isLetter || $0.properties.numericType != nil })
                case "isspace": return .bool(!scalars.isEmpty && scalars.allSatisfy(PyString.isWhitespace))
                case "islower": return .bool(scalars.contains(where: PyString.isCased) && !scalars.contains { $0.properties.isUppercase || $0.properties.generalCategory == .titlecaseLetter })
                default: return .bool(scalars.contains(where: PyString.isCased) && !scalars.contains { $0.properties.isLowercase || $0.properties.generalCategory == .titlecaseLetter })
                }
            }
        case "center", "ljust", "rjust":
            return { args in
                let a = try args.bind(f, [("width", nil), ("fillchar", .string(" "))])
                return .string(try padded(s, try int(a[0], f), try string(a[1], f), left: name != "ljust", right: name != "rjust"))
            }
        case "zfill":
            return { args in
                let width = try int(try args.bind(f, [("width", nil)])[0], f)
                var a = PyString.scalars(s)
                let pad = width - a.count
                guard pad > 0 else { return .string(s) }
                guard pad <= JinjaOperators.maxRepetition else { throw JinjaError.unsupported("a padding longer than \(JinjaOperators.maxRepetition)") }
                let sign = a.first == "+" || a.first == "-" ? [a.removeFirst()] : []
                return .string(PyString.string(sign + Array(repeating: "0", count: pad) + a))
            }
        case "format":
            return { args in .string(try BraceFormat.format(s, args)) }
        default:
            return nil
        }
    }
}

extension Unicode.GeneralCategory {
    var isLetter: Bool {
        switch self {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }
}
