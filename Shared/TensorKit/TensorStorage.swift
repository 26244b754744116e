// Where a tensor's numbers live. A `TensorStorage` owns one block of memory; tensors hold
// it by reference, so a reshape, a `detach()` or a gradient that equals another can share
// it without copying a number. When the last tensor holding a storage dies, so does the
// storage, and it hands its memory to `BufferPool`, which decides whether to keep it for the
// next tensor of that size or to free it.

import Foundation

/// How a storage keeps its elements in memory.
///
/// Every op reads and writes float32, and every tensor an op makes is float32. The other
/// forms are for inference weights as a checkpoint stores them: a storage can point straight
/// into a memory-mapped safetensors file (`SafeTensorsFile.tensor(_:keeping:)`), so a
/// bfloat16 model is neither widened nor copied when it is opened.
///
/// Where the forms meet the kernels: an op reads its operands with
/// `Tensor.withUnsafeBufferPointer`, which needs float32 and stops with a message naming the
/// form otherwise; `Tensor.widened()` converts (exactly, for these forms). A kernel that reads
/// another form directly — a matmul over bfloat16 weights, say — switches on
/// `tensor.storage.form` and reads `storage.bytes` itself. A further form such as int8 with
/// one float32 scale per block of elements would be one more case here, carrying its block
/// size, with the scales in a second storage the case refers to; nothing else in a tensor
/// changes.
public enum ElementForm: Equatable, Sendable, CustomStringConvertible {
    /// 4-byte IEEE single precision in this machine's byte order: what ops compute with.
    case float32
    /// 2-byte IEEE half precision, little-endian (safetensors `F16`); read-only.
    case float16
    /// 2-byte bfloat16, the top half of a float32, little-endian (safetensors `BF16`); read-only.
    case bfloat16

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .float32: return 4
        case .float16, .bfloat16: return 2
        }
    }

    public var description: String {
        switch self {
        case .float32: return "float32"
        case .float16: return "float16"
        case .bfloat16: return "bfloat16"
        }
    }
}

/// The memory behind a tensor's elements: `count` elements of one `form`.
///
/// A float32 storage made by an op owns its memory, which comes from `BufferPool` and goes
/// back to it when the storage dies. A storage made over someone else's bytes (a mapped
/// file) keeps their owner alive instead, and never writes to them.
///
///     let storage = TensorStorage(copying: [1, 2, 3, 4, 5, 6])
///     let a = Tensor(shape: [2, 3], storage: storage)
///     let b = a.reshape([3, 2])               // b.storage === a.storage: nothing copied
///
/// Tensors never write into a storage another tensor also holds: `Tensor`'s write API first
/// gives the writer a copy of its own (copy-on-write), so a reshape view, a detached tensor
/// or a state dictionary keeps the values it had.
public final class TensorStorage {
    /// The number of elements.
    public let count: Int
    /// How each element is kept.
    public let form: ElementForm
    /// The first byte of the elements.
    public let bytes: UnsafeRawPointer
    /// What keeps `bytes` alive when this storage does not own them; nil when it does.
    private let owner: AnyObject?

    /// `count` float32 elements whose values are unspecified, for a kernel that writes every
    /// one of them: memory a dead tensor left in `BufferPool` when one of that size is free.
    public init(uninitialized count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        form = .float32
        bytes = UnsafeRawPointer(BufferPool.shared.take(count))
        owner = nil
    }

    /// `count` float32 zeros.
    public convenience init(zeros count: Int) {
        self.init(uninitialized: count)
        floats.update(repeating: 0, count: count)
    }

    /// `count` float32 elements, all `value`.
    public convenience init(repeating value: Float, count: Int) {
        self.init(uninitialized: count)
        floats.update(repeating: value, count: count)
    }

    /// A float32 copy of `values`.
    public convenience init(copying values: [Float]) {
        self.init(uninitialized: values.count)
        values.withUnsafeBufferPointer { source in
            if let start = source.baseAddress { floats.update(from: start, count: values.count) }
        }
    }

    /// Elements that stay where they are — in a memory-mapped file, say — kept alive by
    /// `owner`. They are read, never written.
    public init(borrowing bytes: UnsafeRawPointer, count: Int, form: ElementForm, owner: AnyObject) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        self.form = form
        self.bytes = bytes
        self.owner = owner
    }

    deinit {
        if owner == nil { BufferPool.shared.giveBack(UnsafeMutablePointer(mutating: floats), count: count) }
    }

    /// Whether this storage owns float32 memory that may be written (its holder's write API
    /// checks that, and that no other tensor holds it).
    var isWritable: Bool { owner == nil && form == .float32 }

    /// The float32 elements. Ops read their operands through `Tensor.withUnsafeBufferPointer`
    /// (which checks the form) and write only into storage they have just made.
    var floats: UnsafeMutablePointer<Float> {
        precondition(form == .float32, "TensorStorage: the elements are \(form), not float32; widen them first (Tensor.widened())")
        return UnsafeMutableRawPointer(mutating: bytes).assumingMemoryBound(to: Float.self)
    }

    /// A float32 copy: every element exactly (each float16 and bfloat16 is a float32).
    public func widened() -> TensorStorage {
        let copy = TensorStorage(uninitialized: count)
        copyWidened(into: copy.floats)
        return copy
    }

    /// Writes the `count` elements as float32 at `out`.
    func copyWidened(into out: UnsafeMutablePointer<Float>) {
        switch form {
        case .float32: out.update(from: floats, count: count)
        case .float16: decodeFloat16(from: bytes, count: count, into: out)
        case .bfloat16: decodeBFloat16(from: bytes, count: count, into: out)
        }
    }

    /// Element `index` as a float32 (any form).
    public func element(_ index: Int) -> Float {
        precondition(index >= 0 && index < count, "TensorStorage: element \(index) is out of range for \(count)")
        switch form {
        case .float32: return floats[index]
        case .float16: return float16ToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)))
        case .bfloat16: return bfloat16ToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)))
        }
    }

    /// The elements as a new array of float32 (widened if need be).
    public func array() -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            if let start = out.baseAddress { copyWidened(into: start) }
            initialized = count
        }
    }
}
