// `Chapter13_AutoregressiveLoopAndKVCache download ORG/NAME [--revision R]`: fetches a model's
// configuration, tokenizer files and safetensors weights from the Hugging Face Hub into the
// Hugging Face cache (where `transformers` looks too), so that `generate ORG/NAME` finds it.
// Interrupted, it goes on from where it stopped when run again; every large file is checked
// against the SHA-256 the Hub gives for it. `HF_ENDPOINT`, `HF_TOKEN` and `HF_HUB_CACHE` are
// honoured, as huggingface_hub honours them.

import CourseKit
import Foundation
import LLMKit
import TensorKit

func runDownloadCommand(_ arguments: [String], revision: String?, options: Options) -> Never {
    guard arguments.count == 1 else { options.fail("usage: download ORG/NAME [--revision R], e.g. download HuggingFaceTB/SmolLM2-135M-Instruct") }
    let repository = arguments[0]
    let revision = revision ?? "main"
    let downloader = HubDownloader(environment: ProcessInfo.processInfo.environment)
    var progress = ProgressBar(total: 1, enabled: false)
    var planned: [HubRemoteFile] = []
    let interactive = isatty(STDOUT_FILENO) != 0
    let source = downloader.endpoint == "https://huggingface.co" ? "" : " from \(downloader.endpoint)"
    do {
        let snapshot = try downloader.download(repository, revision: revision) { event in
            switch event {
            case .resolved(let commit):
                print("\(repository) at \(revision): commit \(commit)\(source)")
            case .planned(let files):
                planned = files
                let width = files.map(\.name.count).max() ?? 0
                for file in files {
                    let check = file.hasSHA256 ? "   sha256 \(file.etag.prefix(12))…" : ""
                    let state = file.cached ? "   (in the cache)" : ""
                    print("  \(file.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(formatByteCount(file.size).leftPadded(9))\(check)\(state)")
                }
                let missing = files.filter { !$0.cached }.reduce(0) { $0 + $1.size }
                let folder = downloader.cache.repositoryFolder(repository).path
                print(missing == 0 ? "everything is in the cache already: \(folder)" : "fetching \(formatByteCount(missing)) into \(folder)")
            case .progress(let done, let total):
                if progress.total != total { progress = ProgressBar(total: total, enabled: interactive) }
                progress.update(bytes: done)
            case .retrying(let file, let received, let reason):
                progress.clear()
                print("\(file): the connection broke after \(formatByteCount(received)) (\(reason)); going on from there")
            }
        }
        progress.clear()
        let weights = planned.filter { $0.name.hasSuffix(".safetensors") }.reduce(0) { $0 + $1.size }
        print("done: \(snapshot.path) (weights \(formatByteCount(weights)))")
        // A Hub id stands for its main branch; another revision is run from its snapshot's path.
        let model = revision == "main" ? repository : snapshot.path
        print("run it: swift run Chapter13_AutoregressiveLoopAndKVCache generate \(model) --prompt \"Hello, I am\"")
        exit(0)
    } catch {
        progress.clear()
        options.fail("\(error)")
    }
}

private extension String {
    /// The text right-aligned in `width` columns.
    func leftPadded(_ width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
