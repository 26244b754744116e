// The course's `precondition` and `preconditionFailure`: a misuse of the library (a `matmul`
// of mismatched shapes, an id past the vocabulary) stops the program with its message in every
// build, debug and release alike.
//
// The standard library's `precondition` prints its message only in a debug (-Onone) build: an
// optimised (-O) build traps without a word, and -Ounchecked does not even check. TensorKit is
// always compiled optimised (see Package.swift), so its checks go through these, which call
// `fatalError` (whose message is printed in every build). A module that imports TensorKit
// gets them in place of the standard library's (an imported function shadows the standard
// library's of the same name). Tokenizers, which does not import TensorKit, has its own copy.

/// Stops the program with `message` (and the file and line) when `condition` is false, in
/// every build. Hot loops call it once at an op's entry, never per element.
///
///     precondition(k == k2, "matmul: \(describeShape(shape)) × \(describeShape(other.shape)): inner dimensions \(k) and \(k2) differ")
@inlinable @inline(__always)
public func precondition(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String = String(),
                         file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}

/// Stops the program with `message`, in every build: a state the caller's misuse led to.
///
///     default: preconditionFailure("decodeIntegers: \(dtype) is not an integer dtype")
@inlinable
public func preconditionFailure(_ message: @autoclosure () -> String = String(),
                                file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError(message(), file: file, line: line)
}
