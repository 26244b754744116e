// HTTP for the Hub with Foundation's URLSession, one request at a time, waited for: small
// answers (JSON, headers) kept in memory, large files handed over piece by piece as they
// arrive. Redirects are followed as huggingface_hub follows them: a HEAD follows only
// redirects on the same server (a renamed repository) and stops at one to a CDN, whose
// headers describe the file; a download follows them all, without the token on another host.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One answer: status, headers (looked up without regard to case), the URL that answered,
/// and the body if it was kept.
struct HubResponse {
    let status: Int
    let headers: [String: String]
    let url: URL
    var body = Data()

    init(_ response: HTTPURLResponse) {
        status = response.statusCode
        var lowered: [String: String] = [:]
        for (key, value) in response.allHeaderFields {
            if let key = key as? String, let value = value as? String { lowered[key.lowercased()] = value }
        }
        headers = lowered
        url = response.url ?? URL(fileURLWithPath: "/")
    }

    /// The value of header `name`, e.g. `header("X-Linked-Etag")`.
    func header(_ name: String) -> String? { headers[name.lowercased()] }

    var isSuccess: Bool { (200..<300).contains(status) }
    var isRedirect: Bool { (300..<400).contains(status) }
}

/// Which redirects a request follows.
enum RedirectPolicy {
    /// None: the 3xx answer itself is returned.
    case none
    /// Only those to the same scheme, host and port (huggingface_hub's "relative" redirects).
    case sameServer
    /// All of them, dropping `Authorization` when the host changes (a signed CDN address
    /// needs no token, and must not receive it).
    case all
}

/// A network failure: no answer, or an answer cut short.
struct HubTransferError: Error, CustomStringConvertible {
    let url: URL
    let reason: String
    var description: String { "\(url): \(reason)" }
}

/// Sends requests and waits for their answers.
final class HubHTTP {
    /// Seconds without any data before a request is given up.
    let timeout: TimeInterval

    init(timeout: TimeInterval) {
        self.timeout = timeout
    }

    /// Sends a request and returns the answer with its body (for small answers: JSON, errors).
    func send(_ method: String, _ url: URL, headers: [String: String], redirects: RedirectPolicy) throws -> HubResponse {
        var body = Data()
        var response = try stream(method, url, headers: headers, redirects: redirects, onResponse: { _ in }, onData: { body.append(contentsOf: $0) })
        if response.isSuccess { response.body = body }
        return response
    }

    /// Sends a request; `onResponse` sees the answer's status and headers before any of the
    /// body, `onData` each piece of a successful answer's body in order (the body of an error
    /// answer is kept in the returned response instead). An error thrown by either stops the
    /// transfer and is rethrown; a lost connection throws `HubTransferError`.
    func stream(_ method: String, _ url: URL, headers: [String: String], redirects: RedirectPolicy,
                onResponse: @escaping (HubResponse) throws -> Void,
                onData: @escaping (UnsafeRawBufferPointer) throws -> Void) throws -> HubResponse {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = timeout
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { request.setValue(value, forHTTPHeaderField: name) }
        // Ask for the bytes as stored: sizes and ranges then count the file's own bytes.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        let exchange = HTTPExchange(origin: url, redirects: redirects, onResponse: onResponse, onData: onData)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpShouldSetCookies = false
        let session = URLSession(configuration: configuration, delegate: exchange, delegateQueue: nil)
        session.dataTask(with: request).resume()
        exchange.finished.wait()
        session.finishTasksAndInvalidate()
        if let error = exchange.callbackError { throw error }
        guard var response = exchange.response else {
            throw HubTransferError(url: url, reason: exchange.transferError.map(describe) ?? "no answer")
        }
        if let error = exchange.transferError { throw HubTransferError(url: response.url, reason: describe(error)) }
        response.body = exchange.errorBody
        return response
    }

    private func describe(_ error: Error) -> String {
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError,
           let text = underlying.userInfo[NSLocalizedDescriptionKey] as? String { return text }
        if let text = error.userInfo[NSLocalizedDescriptionKey] as? String { return text }
        return error.localizedDescription
    }
}

/// The delegate of one request: hands the answer and its data to the caller's closures and
/// signals `finished` when the request is over.
private final class HTTPExchange: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let origin: URL
    let redirects: RedirectPolicy
    let onResponse: (HubResponse) throws -> Void
    let onData: (UnsafeRawBufferPointer) throws -> Void
    let finished = DispatchSemaphore(value: 0)
    // Written on the session's queue, read by the waiting caller after `finished`.
    var response: HubResponse?
    var errorBody = Data()
    var transferError: Error?
    var callbackError: Error?

    init(origin: URL, redirects: RedirectPolicy, onResponse: @escaping (HubResponse) throws -> Void,
         onData: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.origin = origin
        self.redirects = redirects
        self.onResponse = onResponse
        self.onData = onData
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        let from = task.currentRequest?.url ?? origin
        let sameServer = request.url?.host == from.host && request.url?.port == from.port && request.url?.scheme == from.scheme
        switch redirects {
        case .none:
            completionHandler(nil)
        case .sameServer:
            completionHandler(sameServer ? request : nil)
        case .all:
            var next = request
            if request.url?.host != origin.host || request.url?.port != origin.port {
                next.setValue(nil, forHTTPHeaderField: "Authorization")
            }
            completionHandler(next)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            callbackError = HubTransferError(url: origin, reason: "not an HTTP answer")
            completionHandler(.cancel)
            return
        }
        let answer = HubResponse(http)
        self.response = answer
        do {
            try onResponse(answer)
            completionHandler(.allow)
        } catch {
            callbackError = error
            completionHandler(.cancel)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard callbackError == nil else { return }
        guard response?.isSuccess == true else {
            if errorBody.count < 1 << 16 { errorBody.append(data) }
            return
        }
        do {
            try data.withUnsafeBytes { try onData($0) }
        } catch {
            callbackError = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if callbackError == nil { transferError = error }
        finished.signal()
    }
}
