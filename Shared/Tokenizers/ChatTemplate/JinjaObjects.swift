// Template values that are objects: the namespace (the one mutable value of a template),
// and callables (macros, global functions, bound methods).

/// Objects with attributes: namespaces, the loop variable, macros and functions.
protocol JinjaObject: AnyObject {
    /// Python's type name ("Namespace", "LoopContext", "Macro", "builtin_function_or_method").
    var typeName: String { get }
    /// The attribute `name`, or nil when there is none.
    func attribute(_ name: String) throws -> JinjaValue?
    /// What `repr()` gives (nested values one level deeper), or nil when Python would print a
    /// memory address.
    func repr(depth: Int) throws -> String?
}

/// `namespace(…)`: the one mutable object of a template (`{% set ns.count = ns.count + 1 %}`).
final class JinjaNamespace: JinjaObject {
    var attributes = JinjaDict()
    var typeName: String { "Namespace" }
    func attribute(_ name: String) -> JinjaValue? { attributes[name] }
    func repr(depth: Int) throws -> String? { "<Namespace \(try JinjaValue.dict(attributes).repr(depth: depth))>" }
}

/// A callable: a macro, a global function or a bound method.
final class JinjaFunction: JinjaObject {
    let name: String
    let typeName: String
    let body: (JinjaArguments) throws -> JinjaValue

    init(name: String, typeName: String = "builtin_function_or_method", body: @escaping (JinjaArguments) throws -> JinjaValue) {
        self.name = name
        self.typeName = typeName
        self.body = body
    }

    func attribute(_ attribute: String) -> JinjaValue? {
        attribute == "name" && typeName == "Macro" ? .string(name) : nil
    }

    func repr(depth: Int) -> String? { typeName == "Macro" ? "<Macro \(PyString.repr(name))>" : nil }
}
