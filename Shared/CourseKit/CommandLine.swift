// A small command-line parser for the chapters: every knob of a chapter is a flag, so a
// learner can experiment without editing code. `--help` prints the usage; a bad flag gets
// a one-line error and exit code 2 (no crash trace).

import Foundation
import TensorKit   // its `precondition` prints its message in every build

/// The flags a chapter accepts, and the values given on the command line.
///
///     var options = Options(program: "Chapter04_SelfAttentionWithWeights",
///                           summary: "Queries, keys and values with trainable weights.")
///     let seed = options.int("--seed", default: 123, help: "seed of the generator")
///     options.parse()              // exits on --help or a bad flag
///     print(seed.value)            // 123, or what was given
public final class Options {
    /// One declared flag.
    public final class Flag<Value> {
        public let name: String
        public let help: String
        public fileprivate(set) var value: Value
        public fileprivate(set) var wasGiven = false
        fileprivate let parse: (String) -> Value?
        fileprivate let placeholder: String?

        fileprivate init(name: String, help: String, value: Value, placeholder: String?, parse: @escaping (String) -> Value?) {
            self.name = name
            self.help = help
            self.value = value
            self.placeholder = placeholder
            self.parse = parse
        }
    }

    private struct Entry {
        let name: String
        let placeholder: String?   // nil for a switch
        let help: String
        let defaultText: String
        let apply: (String?) -> Bool
    }

    public let program: String
    public let summary: String
    private var entries: [Entry] = []
    private var positionalHelp: [(name: String, help: String)] = []
    /// Arguments that are not flags, in order (subcommands, paths).
    public private(set) var positional: [String] = []
    private let arguments: [String]
    /// Extra text printed at the end of `--help` (examples).
    public var epilogue: String = ""

    /// Starts a chapter program: its name and summary (for `--help`), and the arguments to
    /// parse. It also sets the allocator up for tensor work once (`keepFreedMemory()`: freed
    /// memory is kept for reuse; see TensorKit's Allocator.swift), since every chapter starts here.
    public init(program: String, summary: String, arguments: [String] = Array(CommandLine.arguments.dropFirst())) {
        self.program = program
        self.summary = summary
        self.arguments = arguments
        keepFreedMemory()
    }

    // MARK: Declaring flags

    private func add<V>(_ name: String, _ value: V, placeholder: String?, help: String, defaultText: String,
                        parse: @escaping (String) -> V?) -> Flag<V> {
        precondition(name.hasPrefix("--"), "Options: flag \(name) must start with --")
        let flag = Flag(name: name, help: help, value: value, placeholder: placeholder, parse: parse)
        entries.append(Entry(name: name, placeholder: placeholder, help: help, defaultText: defaultText) { text in
            guard let parsed = text.map(parse) ?? parse("") else { return false }
            flag.value = parsed
            flag.wasGiven = true
            return true
        })
        return flag
    }

    /// An integer flag, `--seed 123`.
    public func int(_ name: String, default value: Int, help: String) -> Flag<Int> {
        add(name, value, placeholder: "N", help: help, defaultText: String(value)) { Int($0) }
    }

    /// A floating-point flag, `--temperature 0.8`.
    public func float(_ name: String, default value: Float, help: String) -> Flag<Float> {
        add(name, value, placeholder: "X", help: help, defaultText: "\(value)") { Float($0).flatMap { $0.isFinite ? $0 : nil } }
    }

    /// A text flag, `--text "your own sentence"`.
    public func string(_ name: String, default value: String, help: String, placeholder: String = "TEXT") -> Flag<String> {
        add(name, value, placeholder: placeholder, help: help, defaultText: value.isEmpty ? "" : "\"\(value)\"") { $0 }
    }

    /// An optional text flag: nil unless given.
    public func optionalString(_ name: String, help: String, placeholder: String = "TEXT") -> Flag<String?> {
        add(name, nil, placeholder: placeholder, help: help, defaultText: "") { $0 }
    }

    /// A switch that is off unless given, `--svg`.
    public func flag(_ name: String, help: String) -> Flag<Bool> {
        add(name, false, placeholder: nil, help: help, defaultText: "") { _ in true }
    }

    /// Documents a positional argument in `--help`.
    public func positional(_ name: String, help: String) {
        positionalHelp.append((name, help))
    }

    // MARK: Parsing

    /// Reads the arguments. Prints the usage and exits 0 on `--help`; prints an error naming
    /// the bad flag or value and exits 2 on anything it cannot use.
    public func parse() {
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            if argument == "--help" || argument == "-h" {
                print(usage)
                exit(0)
            }
            guard argument.hasPrefix("--") else { positional.append(argument); continue }
            var name = argument
            var inlineValue: String? = nil
            if let eq = argument.firstIndex(of: "=") {
                name = String(argument[..<eq])
                inlineValue = String(argument[argument.index(after: eq)...])
            }
            guard let entry = entries.first(where: { $0.name == name }) else {
                fail("unknown flag \(name)\(suggestion(for: name))")
            }
            if entry.placeholder == nil {
                if inlineValue != nil { fail("\(name) takes no value") }
                _ = entry.apply(nil)
                continue
            }
            let value: String
            if let inlineValue { value = inlineValue } else {
                guard i < arguments.count else { fail("\(name) needs a value (\(entry.placeholder!))") }
                value = arguments[i]
                i += 1
            }
            if !entry.apply(value) { fail("\(name): '\(value)' is not a valid \(entry.placeholder == "N" ? "integer" : entry.placeholder == "X" ? "number" : "value")") }
        }
    }

    /// Prints `error: message` and the hint to stderr and exits with code 2.
    public func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\nRun '\(program) --help' to see the flags.\n".utf8))
        exit(2)
    }

    private func suggestion(for name: String) -> String {
        let close = entries.map(\.name).min { editDistance($0, name) < editDistance($1, name) }
        if let close, editDistance(close, name) <= 3 { return " (did you mean \(close)?)" }
        return ""
    }

    /// The text `--help` prints.
    public var usage: String {
        var lines = ["\(program) — \(summary)", ""]
        let positionals = positionalHelp.map { " \($0.name)" }.joined()
        lines.append("Usage: swift run \(program)\(positionals) [flags]")
        if !positionalHelp.isEmpty {
            lines.append("")
            for p in positionalHelp { lines.append("  \(p.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(p.help)") }
        }
        lines.append("")
        lines.append("Flags:")
        for e in entries {
            let left = e.placeholder.map { "\(e.name) \($0)" } ?? e.name
            let def = e.defaultText.isEmpty ? "" : " (default: \(e.defaultText))"
            lines.append("  \(left.padding(toLength: 24, withPad: " ", startingAt: 0)) \(e.help)\(def)")
        }
        lines.append("  \("--help".padding(toLength: 24, withPad: " ", startingAt: 0)) show this help")
        if !epilogue.isEmpty { lines += ["", epilogue] }
        return lines.joined(separator: "\n")
    }
}

/// The number of single-character edits between two strings (for "did you mean").
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where i <= a.count {
        var previous = row[0]
        row[0] = i
        for j in 1...max(b.count, 1) where j <= b.count {
            let saved = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = saved
        }
    }
    return row[b.count]
}
