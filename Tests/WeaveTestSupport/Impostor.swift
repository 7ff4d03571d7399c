import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 that is not a Weave host: it answers each
/// connection with `reply` (after reading what the client sends first, when
/// `readFirst`), then closes it. It stops (and closes its socket) when released,
/// after `seconds`, or after 20 connections.
public final class Impostor: @unchecked Sendable {
    let fd: Int32
    public let port: Int
    private let lock = NSLock()
    private var released = false
    private var isReleased: Bool { lock.lock(); defer { lock.unlock() }; return released }

    public init(reply: [UInt8], readFirst: Bool, seconds: Double = 10) throws {
        port = TestPorts.free()
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0, listen(fd, 8) == 0 else { throw TmuxError("cannot listen on \(port)") }
        let listener = self.fd
        let deadline = Date().addingTimeInterval(seconds)
        Thread.detachNewThread { [self] in
            defer { close(listener) }
            var served = 0
            while Date() < deadline && served < 20 && !isReleased {
                var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 100) > 0 else { continue }
                let c = accept(listener, nil, nil)
                guard c >= 0 else { break }
                served += 1
                if readFirst {
                    var tv = timeval(tv_sec: 1, tv_usec: 0)
                    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                    var sink = [UInt8](repeating: 0, count: 512)
                    _ = recv(c, &sink, sink.count, 0)
                }
                _ = reply.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                usleep(50_000)
                close(c)
            }
        }
    }

    /// Stops it (within 100 ms).
    public func stop() { lock.lock(); released = true; lock.unlock() }
}
