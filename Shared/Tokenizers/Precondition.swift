// The `precondition` of the tokenizers: a misuse stops the program with its message in every
// build. The same as TensorKit's (Shared/TensorKit/Precondition.swift, which explains why the
// standard library's will not do in an optimised build); Tokenizers does not import TensorKit,
// so it keeps this copy, internal to the module.

/// Stops the program with `message` when `condition` is false, in every build.
///
///     precondition(id >= 0 && id < vocabulary.count, "BytePairTokenizer.decode: id \(id) is outside the vocabulary of \(vocabulary.count)")
@inline(__always)
func precondition(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String = String(),
                  file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}

/// Stops the program with `message`, in every build.
func preconditionFailure(_ message: @autoclosure () -> String = String(),
                         file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError(message(), file: file, line: line)
}
