// `Chapter13_AutoregressiveLoopAndKVCache chat MODEL`: a conversation with an instruct model
// (a model directory, or a Hub id in the Hugging Face cache). Each line read is one user turn; the reply is streamed as it is generated. The
// conversation is rendered with the model's chat template every turn, and the KV cache is kept
// from turn to turn, so only the new turn's tokens are prefilled (ChatSession, Shared/LLMKit/Chat).
//
//     /reset   forget the conversation (a fresh session: same seed, empty cache)
//     /quit    end (so does the end of the input)
//
// It works from a pipe as well as a terminal: `printf 'Hello!\nAnd you?\n' | … chat MODEL`.
// Replies go to standard output, one line each (`--json`: one JSON object per input line);
// what the cache did, and notices, go to standard error.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

/// The flags `chat` uses.
struct ChatSettings {
    var system: String?
    var maxNewTokens: Int
    /// A fresh sampler (greedy, or seeded), made again on /reset.
    var makeSampler: () -> Sampler
    var json: Bool
    var noCache: Bool
    var noTiming: Bool
    var quantize: PackedFormat?
}

/// Runs `chat MODEL` and exits.
func runChatCommand(_ arguments: [String], settings: ChatSettings, options: Options) -> Never {
    guard arguments.count == 1 else { options.fail("usage: chat MODEL [--system TEXT] [--max-new-tokens N] [--temperature X] …") }
    let session: ChatSession
    do {
        session = try ChatSession.load(from: try resolveModelDirectory(arguments[0]), system: settings.system,
                                       keepsCache: !settings.noCache, quantize: settings.quantize)
    } catch let refused as ChatSession.TurnRefused {
        options.fail("--system: \(refused)")
    } catch {
        options.fail("\(error)")
    }
    let interactive = isatty(STDIN_FILENO) != 0
    let stopNames = session.stopIDs.sorted().map { session.tokenizer.token(of: $0) ?? String($0) }
    note("chat with \(URL(fileURLWithPath: arguments[0]).lastPathComponent): a context of \(session.model.contextLength) tokens; replies end at "
         + (stopNames.isEmpty ? "--max-new-tokens \(settings.maxNewTokens) (no end-of-sequence id)" : stopNames.joined(separator: ", "))
         + ". /reset starts over, /quit ends.")
    var sampler = settings.makeSampler()
    var turn = 0
    while true {
        if interactive { print("> ", terminator: ""); fflush(stdout) }
        guard var line = readLine(strippingNewline: true) else { break }
        if line.hasSuffix("\r") { line.removeLast() }
        let command = line.trimmingCharacters(in: .whitespaces)
        if command.isEmpty { continue }
        if command == "/quit" { break }
        if command == "/reset" {
            session.reset()
            sampler = settings.makeSampler()
            turn = 0
            if settings.json { print(#"{"reset": true}"#); fflush(stdout) }
            note("the conversation and the cache are cleared")
            continue
        }
        if command.hasPrefix("/") && !command.contains(" ") {
            refuse("unknown command \(command) (the commands are /reset and /quit)", json: settings.json)
            continue
        }
        let start = Date()
        let reply: ChatSession.Reply
        do {
            reply = try session.send(line, maxNewTokens: settings.maxNewTokens, sampler: sampler) { piece in
                guard !settings.json else { return }
                print(piece, terminator: "")
                fflush(stdout)
            }
        } catch {
            refuse("\(error)", json: settings.json)
            continue
        }
        let seconds = Date().timeIntervalSince(start)
        turn += 1
        print(settings.json ? replyJSON(reply) : "")
        fflush(stdout)                         // a program driving the chat from a pipe sees each reply at once
        switch reply.cacheMiss {
        case .template?:
            note("the template rendered the earlier turns differently this time, so the cached ids are not a prefix of the "
                 + "conversation's: the cache was cleared and all \(reply.promptTokens) ids prefilled")
        case .reply?:
            note("the last reply is not written with the ids the model generated (its text tokenizes differently, or the "
                 + "template changed it), so the cached ids are not a prefix of the conversation's: the cache was cleared and "
                 + "all \(reply.promptTokens) ids prefilled")
        case nil: break
        }
        let speed = settings.noTiming ? "" : String(format: ", %.1f tokens/s", Double(reply.ids.count) / seconds)
        note("turn \(turn): \(reply.promptTokens) prompt tokens, \(reply.reusedTokens) from the cache, \(reply.prefilledTokens) "
             + "prefilled; \(reply.ids.count) generated\(speed)")
        switch reply.stop {
        case .endOfSequence: break
        case .maxNewTokens: note("the reply stopped after --max-new-tokens \(settings.maxNewTokens)")
        case .context: note("the reply stopped at the model's context of \(session.model.contextLength) tokens: /reset starts over")
        }
    }
    exit(0)
}

/// A line on standard error (bracketed, so it reads apart from the replies in a terminal).
private func note(_ text: String) {
    FileHandle.standardError.write(Data("[\(text)]\n".utf8))
}

/// A turn that was not taken: the reason on standard error, and as `{"error": …}` in JSON mode.
private func refuse(_ reason: String, json: Bool) {
    if json { print(OrderedJSON.object([("error", .string(reason))]).serialized()); fflush(stdout) }
    FileHandle.standardError.write(Data("error: \(reason)\n".utf8))
}

/// One turn as a JSON object: the reply's text and ids, and what the cache did.
private func replyJSON(_ reply: ChatSession.Reply) -> String {
    OrderedJSON.object([
        ("reply", .string(reply.text)),
        ("ids", .array(reply.ids.map { .integer($0) })),
        ("stop", .string(reply.stop.rawValue)),
        ("prompt_tokens", .integer(reply.promptTokens)),
        ("reused_tokens", .integer(reply.reusedTokens)),
        ("prefilled_tokens", .integer(reply.prefilledTokens)),
        ("cache_miss", reply.cacheMiss.map { .string($0.rawValue) } ?? .null),
    ]).serialized()
}
