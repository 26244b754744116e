// A tiny HTTP/1.1 server for tests, on 127.0.0.1 only, at a port the system picks (port 0).
// One thread accepts, one thread per connection answers one request and closes it. It stops
// when told to (`stop()`, which FakeHub calls when it is released) or by itself after
// `lifetime` seconds, so a test that fails half-way cannot leave it running.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A server whose answers come from a closure.
///
///     let server = try LocalHTTPServer { request in .init(status: 200, body: Data("hello".utf8)) }
///     // GET http://127.0.0.1:\(server.port)/anything → "hello"
public final class LocalHTTPServer: @unchecked Sendable {
    /// What a client asked for.
    public struct Request {
        public let method: String
        /// The path with its query, as sent: `/api/models/org/name/revision/main`.
        public let target: String
        /// Header names in lowercase.
        public let headers: [String: String]
    }

    /// What to answer.
    public struct Response {
        public var status: Int
        public var headers: [(String, String)]
        public var body: Data
        /// Send only this many bytes of the body, then close the connection (a broken download).
        /// `Content-Length` still announces the whole body.
        public var cutAfter: Int?

        public init(status: Int, headers: [(String, String)] = [], body: Data = Data(), cutAfter: Int? = nil) {
            self.status = status
            self.headers = headers
            self.body = body
            self.cutAfter = cutAfter
        }
    }

    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    /// `http://127.0.0.1:PORT`.
    public var address: String { "http://127.0.0.1:\(port)" }

    private let listener: Int32
    private let handler: (Request) -> Response
    private let lock = NSLock()
    private var stopped = false
    private var received: [Request] = []

    /// Starts listening; `handler` answers each request (on the connection's thread).
    public init(lifetime: TimeInterval = 120, handler: @escaping (Request) -> Response) throws {
        self.handler = handler
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ServerError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0                                            // any free port
        address.sin_addr.s_addr = inet_addr("127.0.0.1")                // never another interface
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ServerError("bind/listen on 127.0.0.1: \(reason)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let deadline = Date().addingTimeInterval(lifetime)
        Thread { [self] in acceptLoop(until: deadline) }.start()
    }

    deinit { stop() }

    /// Stops accepting connections (the listening socket is closed by the accepting thread
    /// within 0.1 s).
    public func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
    }

    /// Every request received so far, in order.
    public var requests: [Request] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    private func acceptLoop(until deadline: Date) {
        defer { close(listener) }
        while !isStopped && Date() < deadline {
            var waiting = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, 100) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            Thread { [self] in serve(connection) }.start()
        }
    }

    /// Reads one request, answers it and closes the connection.
    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)                    // a silent client cannot hold the thread
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(connection, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        guard let request = readRequest(connection) else { return }
        lock.lock()
        received.append(request)
        lock.unlock()
        let response = handler(request)
        var head = "HTTP/1.1 \(response.status) \(reasonPhrase(response.status))\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        guard sendAll(connection, Data(head.utf8)) else { return }
        guard request.method != "HEAD" else { return }
        if let cut = response.cutAfter {
            _ = sendAll(connection, response.body.prefix(cut))
            shutdown(connection, Int32(SHUT_RDWR))                      // the client sees the transfer end early
        } else {
            _ = sendAll(connection, response.body)
        }
    }

    private func readRequest(_ connection: Int32) -> Request? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while bytes.count < 65536 {
            let n = recv(connection, &buffer, buffer.count, 0)
            guard n > 0 else { return nil }
            bytes += buffer[0..<n]
            if bytes.count >= 4, (0...(bytes.count - 4)).contains(where: { Array(bytes[$0..<($0 + 4)]) == end }) { break }
        }
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        let first = lines[0].split(separator: " ")
        guard first.count == 3 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Request(method: String(first[0]), target: String(first[1]), headers: headers)
    }

    private func sendAll(_ connection: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                #if canImport(Glibc)
                let n = send(connection, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                #else
                let n = send(connection, raw.baseAddress! + sent, raw.count - sent, 0)
                #endif
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                sent += n
            }
            return true
        }
    }

    private func reasonPhrase(_ status: Int) -> String {
        [200: "OK", 206: "Partial Content", 302: "Found", 307: "Temporary Redirect", 401: "Unauthorized",
         403: "Forbidden", 404: "Not Found", 416: "Range Not Satisfiable", 500: "Internal Server Error"][status] ?? "Status"
    }
}

/// The server could not start.
public struct ServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
