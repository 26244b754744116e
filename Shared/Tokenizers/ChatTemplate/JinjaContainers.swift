// The containers of template values besides lists and tuples: Python's dict (insertion order,
// keys compared with Python's ==), dict views and ranges, and one-pass iterators (generators).

/// A Python dict: insertion-ordered, keys compared with Python's `==` (so 1 and 1.0 and True
/// are one key).
struct JinjaDict {
    private(set) var entries: [(key: JinjaValue, value: JinjaValue)] = []

    init() {}

    init(_ entries: [(key: JinjaValue, value: JinjaValue)]) {
        for (k, v) in entries { self[k] = v }
    }

    var count: Int { entries.count }
    var keys: [JinjaValue] { entries.map(\.key) }
    var values: [JinjaValue] { entries.map(\.value) }

    func index(of key: JinjaValue) -> Int? {
        entries.firstIndex { JinjaOperators.equal($0.key, key) }
    }

    /// Reading a missing key gives nil; writing keeps an existing key's place.
    subscript(key: JinjaValue) -> JinjaValue? {
        get { index(of: key).map { entries[$0].value } }
        set {
            if let i = index(of: key) {
                if let v = newValue { entries[i].value = v } else { entries.remove(at: i) }
            } else if let v = newValue {
                entries.append((key, v))
            }
        }
    }

    subscript(key: String) -> JinjaValue? {
        get { self[.string(key)] }
        set { self[.string(key)] = newValue }
    }
}

/// A dict view or a range: a fixed list of elements with Python's type name and repr.
struct JinjaView {
    enum Kind { case items, keys, values, range(start: Int, stop: Int, step: Int) }
    let kind: Kind
    let elements: [JinjaValue]

    var typeName: String {
        switch kind {
        case .items: return "dict_items"
        case .keys: return "dict_keys"
        case .values: return "dict_values"
        case .range: return "range"
        }
    }
}

/// A one-pass iterator (a Python generator): once read, it is empty.
final class JinjaIterator {
    /// Python's type name, e.g. "generator" or "list_reverseiterator".
    let typeName: String
    private var elements: [JinjaValue]
    private var position = 0

    init(_ typeName: String, _ elements: [JinjaValue]) {
        self.typeName = typeName
        self.elements = elements
    }

    /// Everything not yet read, which is read now.
    func drain() -> [JinjaValue] {
        let rest = position < elements.count ? Array(elements[position...]) : []
        elements = []
        position = 0
        return rest
    }

    /// The next element, which is read now.
    func next() -> JinjaValue? {
        guard position < elements.count else { return nil }
        defer { position += 1 }
        return elements[position]
    }
}

// Values hold classes that change (iterators, namespaces): they stay on one thread.
@available(*, unavailable) extension JinjaDict: Sendable {}
