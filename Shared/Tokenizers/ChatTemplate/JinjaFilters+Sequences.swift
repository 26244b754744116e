// The filters on sequences and mappings: length, first, last, join, list, items, map, select,
// reject, selectattr, rejectattr, sort, dictsort, unique, reverse, min, max, sum, batch,
// default, attr. As in jinja2, map / select / reject / selectattr / rejectattr / unique / items
// / batch give one-pass generators (`|list` makes a list of one; `|length` on one fails).

extension JinjaFilters {
    /// jinja2's attribute path "a.b.0": each part looked up with `getitem` (digits as ints).
    static func attributePath(_ attribute: JinjaValue) -> [JinjaValue] {
        switch attribute {
        case .none: return []
        case .string(let s):
            return s.split(separator: ".", omittingEmptySubsequences: false).map { part in
                part.allSatisfy(\.isASCII) && !part.isEmpty && part.allSatisfy(\.isNumber) ? .int(Int(part) ?? 0) : .string(String(part))
            }
        default: return [attribute]
        }
    }

    /// jinja2's `make_attrgetter`: follows the path; `fallback` replaces an undefined step.
    static func lookup(_ item: JinjaValue, _ path: [JinjaValue], fallback: JinjaValue? = nil, ignoreCase: Bool = false) throws -> JinjaValue {
        var v = item
        for part in path {
            v = try JinjaAttributes.getitem(v, part)
            if let fallback, v.isUndefined { v = fallback }
        }
        if ignoreCase, case .string(let s) = v { return .string(PyString.lower(s)) }
        return v
    }

    static func generator(_ items: [JinjaValue]) -> JinjaValue { .iterator(JinjaIterator("generator", items)) }

    /// select / reject / selectattr / rejectattr.
    static func selectOrReject(_ v: JinjaValue, _ args: JinjaArguments, keep: Bool, attribute: Bool, name: String) throws -> JinjaValue {
        guard v.isTruthy else { return generator([]) }
        var positional = args.positional
        var path: [JinjaValue] = []
        if attribute {
            guard !positional.isEmpty else { throw JinjaError.runtime("Missing parameter for attribute name") }
            path = attributePath(positional.removeFirst())
        }
        var test: String?
        if !positional.isEmpty {
            guard case .string(let t) = positional.removeFirst() else { throw JinjaError.runtime("\(name): the test name must be a string") }
            test = t
        }
        let testArgs = JinjaArguments(positional, keyword: args.keyword)
        var kept: [JinjaValue] = []
        for item in try JinjaOperators.elements(of: v) {
            let subject = try lookup(item, path)
            let passed = try test.map { try JinjaTests.apply($0, subject, testArgs) } ?? subject.isTruthy
            if passed == keep { kept.append(item) }
        }
        return generator(kept)
    }

    /// Sort keys: the item (or its attributes, comma-separated), lower-cased unless case-sensitive.
    static func sortKey(_ item: JinjaValue, _ attribute: JinjaValue, caseSensitive: Bool) throws -> JinjaValue {
        if case .string(let s) = attribute, s.contains(",") {
            return .list(try s.split(separator: ",", omittingEmptySubsequences: false).map {
                try lookup(item, attributePath(.string(String($0))), ignoreCase: !caseSensitive)
            })
        }
        return try lookup(item, attributePath(attribute), ignoreCase: !caseSensitive)
    }

    static func minOrMax(_ v: JinjaValue, _ args: JinjaArguments, max: Bool) throws -> JinjaValue {
        let a = try args.bind(max ? "max" : "min", [("case_sensitive", .bool(false)), ("attribute", JinjaValue.none)])
        let items = try JinjaOperators.elements(of: v)
        guard var best = items.first else { return .undefined(JinjaUndefined(message: "No aggregated item, sequence was empty.")) }
        var bestKey = try sortKey(best, a[1], caseSensitive: a[0].isTruthy)
        for item in items.dropFirst() {
            let key = try sortKey(item, a[1], caseSensitive: a[0].isTruthy)
            if try max ? JinjaOperators.less(bestKey, key) : JinjaOperators.less(key, bestKey) { best = item; bestKey = key }
        }
        return best
    }

    static let sequenceFilters: [String: Filter] = [
        "length": { v, args in _ = try args.bind("length", []); return .int(try JinjaOperators.length(of: v)) },
        "count": { v, args in _ = try args.bind("count", []); return .int(try JinjaOperators.length(of: v)) },
        "default": defaultFilter,
        "d": defaultFilter,
        "first": { v, args in
            _ = try args.bind("first", [])
            if case .iterator(let it) = v { return it.next() ?? .undefined(JinjaUndefined(message: "No first item, sequence was empty.")) }
            return try JinjaOperators.elements(of: v).first ?? .undefined(JinjaUndefined(message: "No first item, sequence was empty."))
        },
        "last": { v, args in
            _ = try args.bind("last", [])
            if case .iterator(let it) = v { throw JinjaError.runtime("'\(it.typeName)' object is not reversible") }
            return try JinjaOperators.elements(of: v).last ?? .undefined(JinjaUndefined(message: "No last item, sequence was empty."))
        },
        "join": { v, args in
            let a = try args.bind("join", [("d", .string("")), ("attribute", JinjaValue.none)])
            let path = attributePath(a[1])
            let parts = try JinjaOperators.elements(of: v).map { try lookup($0, path).str() }
            return .string(parts.joined(separator: try a[0].str()))
        },
        "list": { v, args in _ = try args.bind("list", []); return .list(try JinjaOperators.elements(of: v)) },
        "items": { v, args in
            _ = try args.bind("items", [])
            if v.isUndefined { return generator([]) }
            guard case .dict(let d) = v else { throw JinjaError.runtime("Can only get item pairs from a mapping.") }
            return generator(d.entries.map { .tuple([$0.key, $0.value]) })
        },
        "map": { v, args in
            if args.positional.isEmpty, args.keyword.contains(where: { $0.name == "attribute" }) {
                let a = try args.bind("map", [("attribute", nil), ("default", JinjaValue.none)])
                guard v.isTruthy else { return generator([]) }
                let path = attributePath(a[0])
                return generator(try JinjaOperators.elements(of: v).map { try lookup($0, path, fallback: a[1].isNone ? nil : a[1]) })
            }
            guard let first = args.positional.first else { throw JinjaError.runtime("map requires a filter argument") }
            guard case .string(let filter) = first else { throw JinjaError.runtime("map: the filter name must be a string") }
            guard v.isTruthy else { return generator([]) }
            let rest = JinjaArguments(Array(args.positional.dropFirst()), keyword: args.keyword)
            return generator(try JinjaOperators.elements(of: v).map { try apply(filter, $0, rest) })
        },
        "select": { v, args in try selectOrReject(v, args, keep: true, attribute: false, name: "select") },
        "reject": { v, args in try selectOrReject(v, args, keep: false, attribute: false, name: "reject") },
        "selectattr": { v, args in try selectOrReject(v, args, keep: true, attribute: true, name: "selectattr") },
        "rejectattr": { v, args in try selectOrReject(v, args, keep: false, attribute: true, name: "rejectattr") },
        "sort": { v, args in
            let a = try args.bind("sort", [("reverse", .bool(false)), ("case_sensitive", .bool(false)), ("attribute", JinjaValue.none)])
            let keyed = try JinjaOperators.elements(of: v).map { (item: $0, key: try sortKey($0, a[2], caseSensitive: a[1].isTruthy)) }
            let reverse = a[0].isTruthy
            // Python's sorted(reverse=True) keeps equal elements in their order too.
            let sorted = try JinjaSorting.stableSorted(keyed) { try reverse ? JinjaOperators.less($1.key, $0.key) : JinjaOperators.less($0.key, $1.key) }
            return .list(sorted.map(\.item))
        },
        "dictsort": { v, args in
            let a = try args.bind("dictsort", [("case_sensitive", .bool(false)), ("by", .string("key")), ("reverse", .bool(false))])
            guard case .dict(let d) = v else { throw JinjaError.runtime("'\(v.typeName)' object has no attribute 'items'") }
            guard case .string(let by) = a[1], by == "key" || by == "value" else { throw JinjaError.runtime("You can only sort by either \"key\" or \"value\"") }
            func key(_ e: (key: JinjaValue, value: JinjaValue)) -> JinjaValue {
                let k = by == "key" ? e.key : e.value
                if !a[0].isTruthy, case .string(let s) = k { return .string(PyString.lower(s)) }
                return k
            }
            let reverse = a[2].isTruthy
            let sorted = try JinjaSorting.stableSorted(d.entries) { try reverse ? JinjaOperators.less(key($1), key($0)) : JinjaOperators.less(key($0), key($1)) }
            return .list(sorted.map { .tuple([$0.key, $0.value]) })
        },
        "unique": { v, args in
            let a = try args.bind("unique", [("case_sensitive", .bool(false)), ("attribute", JinjaValue.none)])
            var seen: [JinjaValue] = [], kept: [JinjaValue] = []
            for item in try JinjaOperators.elements(of: v) {
                let key = try lookup(item, attributePath(a[1]), ignoreCase: !a[0].isTruthy)
                if case .list = key { throw JinjaError.runtime("unhashable type: 'list'") }
                if case .dict = key { throw JinjaError.runtime("unhashable type: 'dict'") }
                if !seen.contains(where: { JinjaOperators.equal($0, key) }) { seen.append(key); kept.append(item) }
            }
            return generator(kept)
        },
        "reverse": { v, args in
            _ = try args.bind("reverse", [])
            switch v {
            case .string(let s): return .string(PyString.string(s.unicodeScalars.reversed()))
            case .list(let a), .tuple(let a): return .iterator(JinjaIterator("\(v.typeName)_reverseiterator", a.reversed()))
            case .dict(let d): return .iterator(JinjaIterator("dict_reversekeyiterator", d.keys.reversed()))
            case .iterator(let it): return .list(it.drain().reversed())
            default: return .iterator(JinjaIterator("reversed", try JinjaOperators.elements(of: v).reversed()))
            }
        },
        "min": { v, args in try minOrMax(v, args, max: false) },
        "max": { v, args in try minOrMax(v, args, max: true) },
        "sum": { v, args in
            let a = try args.bind("sum", [("attribute", JinjaValue.none), ("start", .int(0))])
            let path = attributePath(a[0])
            return try JinjaOperators.elements(of: v).reduce(a[1]) { try JinjaOperators.binary("+", $0, try lookup($1, path)) }
        },
        "batch": { v, args in
            let a = try args.bind("batch", [("linecount", nil), ("fill_with", JinjaValue.none)])
            let size = try JinjaStringMethods.int(a[0], "batch")
            guard size > 0 else { throw JinjaError.runtime("batch: linecount must be positive") }
            var rows: [JinjaValue] = [], row: [JinjaValue] = []
            for item in try JinjaOperators.elements(of: v) {
                if row.count == size { rows.append(.list(row)); row = [] }
                row.append(item)
            }
            if !row.isEmpty {
                if !a[1].isNone { row += Array(repeating: a[1], count: size - row.count) }
                rows.append(.list(row))
            }
            return generator(rows)
        },
        "attr": { v, args in
            let name = try args.bind("attr", [("name", nil)])[0]
            guard case .string(let n) = name else { throw JinjaError.runtime("attribute name must be string") }
            if case .undefined(let u) = v { throw JinjaError.runtime(u.message) }
            return try JinjaAttributes.attribute(of: v, n) ?? .undefined(.missing(name, of: v))
        },
    ]

    static let defaultFilter: Filter = { v, args in
        let a = try args.bind("default", [("default_value", .string("")), ("boolean", .bool(false))])
        if v.isUndefined || (a[1].isTruthy && !v.isTruthy) { return a[0] }
        return v
    }
}
