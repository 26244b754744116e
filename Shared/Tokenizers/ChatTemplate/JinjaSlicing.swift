// Python slicing, `messages[1:]`, `text[::-1]`: of a list, tuple, string (by code point) or
// range, with negative indices counted from the end and Python's clamping.

enum JinjaSlicing {
    /// The positions `start:stop:step` selects from `count` elements (Python's `slice.indices`).
    static func positions(count: Int, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws -> [Int] {
        func integer(_ v: JinjaValue?) throws -> Int? {
            guard let v, !v.isNone else { return nil }
            guard case .int(let i)? = JinjaOperators.number(v) else {
                if case .undefined(let u) = v { throw JinjaError.runtime(u.message) }
                throw JinjaError.runtime("slice indices must be integers or None or have an __index__ method")
            }
            return i
        }
        let s = try integer(step) ?? 1
        guard s != 0 else { throw JinjaError.runtime("slice step cannot be zero") }
        let (lower, upper) = s < 0 ? (-1, count - 1) : (0, count)
        func clamp(_ v: Int?, _ fallback: Int) -> Int {
            guard var i = v else { return fallback }
            if i < 0 { i = i < -count ? lower : i + count }
            return Swift.min(Swift.max(i, lower), upper)
        }
        var i = clamp(try integer(start), s < 0 ? upper : lower)
        let end = clamp(try integer(stop), s < 0 ? lower : upper)
        var out: [Int] = []
        while s > 0 ? i < end : i > end {
            out.append(i)
            let (next, overflow) = i.addingReportingOverflow(s)
            if overflow { break }
            i = next
        }
        return out
    }

    static func slice(_ target: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws -> JinjaValue {
        switch target {
        case .undefined(let u):
            throw JinjaError.runtime(u.message)
        case .list(let a):
            return .list(try positions(count: a.count, start, stop, step).map { a[$0] })
        case .tuple(let a):
            return .tuple(try positions(count: a.count, start, stop, step).map { a[$0] })
        case .string(let s):
            let scalars = PyString.scalars(s)
            return .string(PyString.string(try positions(count: scalars.count, start, stop, step).map { scalars[$0] }))
        case .view(let v):
            guard case .range(let r0, _, let rStep) = v.kind else { throw JinjaError.runtime("'\(v.typeName)' object is not subscriptable") }
            let picked = try positions(count: v.elements.count, start, stop, step).map { v.elements[$0] }
            var s = 1
            if let step, case .int(let i)? = JinjaOperators.number(step) { s = i }
            // The new range's start, stop and step only serve its repr; wrapping cannot be read.
            var first = r0
            if case .int(let i)? = picked.first { first = i }
            let newStep = rStep &* s
            return .view(JinjaView(kind: .range(start: first, stop: first &+ picked.count &* newStep, step: newStep), elements: picked))
        case .dict:
            throw JinjaError.runtime("unhashable type: 'slice'")
        default:
            throw JinjaError.runtime("'\(target.typeName)' object is not subscriptable")
        }
    }
}
