// swift-tools-version:6.0
// The package of the course "Build a Large Language Model in Swift".
// No dependencies: the Swift toolchain (Foundation, Dispatch, XCTest) is all it needs.
import PackageDescription

// MARK: - Build settings

/// The numeric code is compiled optimised even in a debug build, so `swift run ChapterNN`
/// is quick without `-c release`. It is `-O`, not `-Ounchecked`: every `precondition` stays on
/// in every build, so misuse (a `matmul` of mismatched shapes, an id past the vocabulary)
/// stops with its message instead of reading out of bounds. Hot loops validate once at the
/// op's entry and run on unsafe pointers, which need no bounds checks.
/// `-target-cpu native` lets `SIMD.addProduct` become real FMA instructions (without it they
/// are scalar library calls, about 100× slower).
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-O"]),
    .unsafeFlags(["-target-cpu", "native"], .when(platforms: [.linux])),
]

// MARK: - Shared modules

let sharedTargets: [Target] = [
    // Tensors, autograd, kernels, safetensors, the PyTorch-compatible generator, modules, optimisers.
    .target(name: "TensorKit", path: "Shared/TensorKit", swiftSettings: fastMath),
    // Word, character, BPE, GPT-2, WordPiece and SentencePiece tokenizers; Hugging Face tokenizer.json.
    .target(name: "Tokenizers", path: "Shared/Tokenizers", swiftSettings: fastMath),
    // How chapters talk: narration, tables, terminal charts, SVG figures, flags, data files.
    .target(name: "CourseKit", dependencies: ["TensorKit"], path: "Shared/CourseKit"),
    // The course's model code: attention, blocks, models, checkpoints, sampling, training.
    .target(name: "LLMKit", dependencies: ["TensorKit", "Tokenizers"], path: "Shared/LLMKit", swiftSettings: fastMath),
]

// MARK: - Chapters

/// Each chapter is an executable in `Chapters/<name>/` that narrates one step of the course.
let chapters: [(name: String, dependencies: [Target.Dependency])] = [
    ("Chapter01_DataAndTokenization", ["TensorKit", "LLMKit", "CourseKit", "Tokenizers"]),
    ("Chapter02_TransformersAndSelfAttention", ["TensorKit", "LLMKit", "CourseKit", "Tokenizers"]),
    ("Chapter03_SimplifiedSelfAttention", ["TensorKit", "LLMKit", "CourseKit"]),
    ("Chapter04_SelfAttentionWithWeights", ["TensorKit", "LLMKit", "CourseKit"]),
    ("Chapter05_CausalAttention", ["TensorKit", "LLMKit", "CourseKit"]),
    ("Chapter06_MultiHeadAttention", ["TensorKit", "LLMKit", "CourseKit", "Tokenizers"]),
    ("Chapter07_IntroducingTransformers", ["TensorKit", "LLMKit", "CourseKit"]),
    ("Chapter08_AddAndNormalize", ["TensorKit", "LLMKit", "CourseKit"]),
    ("Chapter09_FeedForwardNetwork", ["TensorKit", "LLMKit", "CourseKit", "Tokenizers"]),
    ("Chapter10_AddAndNormalizeAgain", ["TensorKit", "LLMKit", "CourseKit"]),
    ("Chapter11_LinearLayerAndProjection", ["TensorKit", "LLMKit", "CourseKit", "Tokenizers"]),
    ("Chapter12_FindingTheNextWord", ["TensorKit", "LLMKit", "CourseKit", "Tokenizers"]),
    ("Chapter13_AutoregressiveLoopAndKVCache", ["TensorKit", "LLMKit", "CourseKit", "Tokenizers"]),
    ("Chapter14_PreTrainingLoop", ["TensorKit", "LLMKit", "CourseKit", "Tokenizers"]),
]

let chapterTargets: [Target] = chapters.map { chapter in
    .executableTarget(
        name: chapter.name, dependencies: chapter.dependencies,
        path: "Chapters/\(chapter.name)", exclude: ["README.md"])
}

// MARK: - Tests and benchmarks

let testTargets: [Target] = [
    // Fixture paths and the gradient checker, shared by the test targets.
    .target(name: "TestSupport", dependencies: ["TensorKit"], path: "Tests/TestSupport"),
    .testTarget(name: "TensorKitTests", dependencies: ["TensorKit", "TestSupport"], path: "Tests/TensorKitTests"),
    .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "TestSupport"], path: "Tests/TokenizersTests"),
    .testTarget(name: "LLMKitTests", dependencies: ["LLMKit", "TensorKit", "TestSupport"], path: "Tests/LLMKitTests"),
    // Runs every chapter's real program and compares its output with Tests/ExpectedOutputs.
    .testTarget(name: "ChapterTests", dependencies: chapters.map { .target(name: $0.name) } + ["TestSupport"], path: "Tests/ChapterTests"),
    // Misuses the library on purpose, one mistake per case (`MisuseProbe matmul`), for MisuseTests.
    .executableTarget(name: "MisuseProbe", dependencies: ["TensorKit", "LLMKit"], path: "Tests/MisuseProbe"),
    // Runs each MisuseProbe case in a child process: it must stop with a message naming the mistake.
    .testTarget(name: "MisuseTests", dependencies: ["MisuseProbe"], path: "Tests/MisuseTests"),
    .executableTarget(
        name: "Benchmarks", dependencies: ["TensorKit", "Tokenizers", "LLMKit"], path: "Tests/Benchmarks",
        exclude: ["torch_sweeps.py", "tiktoken_encode.py", "torch_published_shapes.py",    // the reference sides, in Python
                  "hf_tokenizers_encode.py",
                  "count_mallocs.c"],                          // an allocation counter (see the file)
        swiftSettings: fastMath),
]

let package = Package(
    name: "LLMCourse",
    // macOS 15 for the Synchronization module (atomics of the kernels' worker pool).
    platforms: [.macOS(.v15)],
    products: chapters.map { .executable(name: $0.name, targets: [$0.name]) },
    targets: sharedTargets + chapterTargets + testTargets,
    swiftLanguageModes: [.v5]
)
