// The errors of talking to the Hugging Face Hub, each saying what went wrong in words a
// learner can act on.

/// A download that cannot go on: the repository, a file, the network or the disk.
///
///     HubError("Qwen/Qwen2.5-0.5B-Instruct: no such revision v9", hint: "the default is main")
///     // Qwen/Qwen2.5-0.5B-Instruct: no such revision v9
///     // hint: the default is main
public struct HubError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let hint: String

    public init(_ message: String, hint: String = "") {
        self.message = message
        self.hint = hint
    }

    public var description: String { message + (hint.isEmpty ? "" : "\nhint: \(hint)") }
}

extension HubError {
    /// The error for an answer that is not a success, from its status and the Hub's
    /// `X-Error-Code` / `X-Error-Message` headers (huggingface_hub's `hf_raise_for_status`).
    /// `what` names the request ("Qwen/Qwen2.5-0.5B-Instruct", "… config.json").
    static func status(_ response: HubResponse, repository: String, revision: String, what: String, tokenGiven: Bool) -> HubError {
        let code = response.header("X-Error-Code") ?? ""
        let serverMessage = response.header("X-Error-Message").map { " (the Hub says: \($0))" } ?? ""
        let tokenHint = "make a token at https://huggingface.co/settings/tokens and run again with HF_TOKEN=hf_… set"
        switch (response.status, code) {
        case (_, "RevisionNotFound"):
            return HubError("\(repository): no revision \(revision)\(serverMessage)",
                            hint: "--revision takes a branch, a tag or a commit of the repository; the default is main")
        case (_, "EntryNotFound"):
            return HubError("\(what): not found in \(repository)\(revision.isEmpty ? "" : " at \(revision)")\(serverMessage)")
        case (_, "GatedRepo"):
            return HubError("\(repository) is gated: its authors must grant you access (\(response.status))\(serverMessage)",
                            hint: "accept its licence at https://huggingface.co/\(repository) while logged in, then "
                                + (tokenGiven ? "check that HF_TOKEN belongs to that account" : tokenHint))
        case (401, _) where tokenGiven && response.header("X-Error-Message") == "Invalid credentials in Authorization header":
            return HubError("\(repository): the Hub refused the token in HF_TOKEN (401)\(serverMessage)", hint: tokenHint)
        case (401, _), (_, "RepoNotFound"):
            return HubError("\(repository): the Hub answered \(response.status): no such repository, or it is private or gated\(serverMessage)",
                            hint: "check the name (ORG/NAME, as on huggingface.co)" + (tokenGiven ? "; HF_TOKEN was sent" : "; for a private or gated model, " + tokenHint))
        case (403, _):
            return HubError("\(what): access denied (403)\(serverMessage)",
                            hint: tokenGiven ? "HF_TOKEN lacks the permission to read \(repository)" : tokenHint)
        case (404, _):
            return HubError("\(what): not found (404) at \(response.url)\(serverMessage)",
                            hint: "check the name ORG/NAME and that HF_ENDPOINT (if set) is a Hugging Face Hub")
        case (429, _):
            return HubError("\(what): too many requests (429)\(serverMessage)", hint: "wait a minute and run the same command again")
        default:
            return HubError("\(what): the server answered \(response.status) for \(response.url)\(serverMessage)",
                            hint: response.status >= 500 ? "the Hub may be down; run the same command again later" : "")
        }
    }
}
