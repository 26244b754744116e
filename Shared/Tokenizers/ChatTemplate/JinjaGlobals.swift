// The names every template can use: jinja2's `range`, `dict` and `namespace`, and the two
// Hugging Face adds, `raise_exception(message)` and `strftime_now(format)`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

enum JinjaGlobals {
    /// jinja2's sandbox refuses ranges longer than this (MAX_RANGE).
    static let maxRange = 100_000

    static func functions(clock: @escaping () -> Date, timeZone: TimeZone) -> [String: JinjaValue] {
        func function(_ name: String, _ body: @escaping (JinjaArguments) throws -> JinjaValue) -> JinjaValue {
            .object(JinjaFunction(name: name, body: body))
        }
        var globals: [String: JinjaValue] = [
            "range": function("range", range),
            "dict": function("dict") { args in
                var d = JinjaDict()
                guard args.positional.count <= 1 else { throw JinjaError.runtime("dict expected at most 1 argument, got \(args.positional.count)") }
                if let source = args.positional.first {
                    if case .dict(let other) = source { d = other } else {
                        for pair in try JinjaOperators.elements(of: source) {
                            let kv = try JinjaOperators.elements(of: pair)
                            guard kv.count == 2 else { throw JinjaError.runtime("dictionary update sequence element has length \(kv.count); 2 is required") }
                            d[kv[0]] = kv[1]
                        }
                    }
                }
                for (name, value) in args.keyword { d[name] = value }
                return .dict(d)
            },
            "namespace": function("namespace") { args in
                let ns = JinjaNamespace()
                for source in args.positional {
                    guard case .dict(let d) = source else { throw JinjaError.runtime("namespace() positional arguments must be mappings") }
                    for (k, v) in d.entries { ns.attributes[k] = v }
                }
                for (name, value) in args.keyword { ns.attributes[name] = value }
                return .object(ns)
            },
            "raise_exception": function("raise_exception") { args in
                let message = try args.bind("raise_exception", [("message", nil)])[0]
                throw JinjaError.raised(try message.str())
            },
            "strftime_now": function("strftime_now") { args in
                let format = try args.bind("strftime_now", [("format", nil)])[0]
                guard case .string(let f) = format else { throw JinjaError.runtime("strftime() argument 1 must be str, not \(format.typeName)") }
                return .string(try strftime(f, clock(), timeZone))
            },
        ]
        for name in ["lipsum", "cycler", "joiner"] {
            globals[name] = function(name) { _ in throw JinjaError.unsupported("the global '\(name)'") }
        }
        return globals
    }

    /// `range(stop)`, `range(start, stop[, step])`, at most `maxRange` long, as jinja2's sandbox.
    static func range(_ args: JinjaArguments) throws -> JinjaValue {
        guard args.keyword.isEmpty else { throw JinjaError.runtime("range() takes no keyword arguments") }
        let n = try args.positional.map { v -> Int in
            guard case .int(let i)? = JinjaOperators.number(v) else {
                if case .undefined(let u) = v { throw JinjaError.runtime(u.message) }
                throw JinjaError.runtime("'\(v.typeName)' object cannot be interpreted as an integer")
            }
            return i
        }
        let (start, stop, step): (Int, Int, Int)
        switch n.count {
        case 1: (start, stop, step) = (0, n[0], 1)
        case 2: (start, stop, step) = (n[0], n[1], 1)
        case 3: (start, stop, step) = (n[0], n[1], n[2])
        default: throw JinjaError.runtime("range expected at most 3 arguments, got \(n.count)")
        }
        guard step != 0 else { throw JinjaError.runtime("range() arg 3 must not be zero") }
        // The length in unsigned arithmetic: stop - start may not fit an Int.
        var count: UInt = 0
        if step > 0 && start < stop {
            count = (UInt(bitPattern: stop) &- UInt(bitPattern: start) - 1) / step.magnitude + 1
        } else if step < 0 && start > stop {
            count = (UInt(bitPattern: start) &- UInt(bitPattern: stop) - 1) / step.magnitude + 1
        }
        if count > UInt(maxRange) {
            throw JinjaError.runtime("Range too big. The sandbox blocks ranges larger than MAX_RANGE (\(maxRange)).")
        }
        var elements: [JinjaValue] = []
        elements.reserveCapacity(Int(count))
        var x = start
        for _ in 0..<count {
            elements.append(.int(x))
            x = x &+ step                                 // past the last element it may wrap: never read
        }
        return .view(JinjaView(kind: .range(start: start, stop: stop, step: step), elements: elements))
    }

    /// C's strftime (as Python's datetime.strftime calls it) on `date` in `timeZone`.
    static func strftime(_ format: String, _ date: Date, _ timeZone: TimeZone) throws -> String {
        if format.contains("%f") || format.contains("%z") || format.contains("%Z") || format.contains("%:") {
            throw JinjaError.unsupported("the strftime directives %f, %z, %Z and %: (Python computes them itself)")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        var t = tm()
        t.tm_year = Int32((c.year ?? 1900) - 1900)
        t.tm_mon = Int32((c.month ?? 1) - 1)
        t.tm_mday = Int32(c.day ?? 1)
        t.tm_hour = Int32(c.hour ?? 0)
        t.tm_min = Int32(c.minute ?? 0)
        t.tm_sec = Int32(c.second ?? 0)
        t.tm_wday = Int32((c.weekday ?? 1) - 1)
        t.tm_yday = Int32((calendar.ordinality(of: .day, in: .year, for: date) ?? 1) - 1)
        t.tm_isdst = -1
        var buffer = [Int8](repeating: 0, count: 1024)
        let n = format.withCString { Foundation.strftime(&buffer, buffer.count, $0, &t) }
        if n == 0 && !format.isEmpty { throw JinjaError.runtime("strftime: the formatted date is empty or too long") }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
