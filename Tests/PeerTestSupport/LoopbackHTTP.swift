#if canImport(Glibc)
import Glibc
#endif
import WeaveTestSupport

/// A plain HTTP/1.1 GET on 127.0.0.1, for reading `weave serve --metrics`
/// (`/metrics`, `/healthz`) from tests and from `weave-bench storm`.
public enum LoopbackHTTP {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// GETs `path` from 127.0.0.1:`port` with `Connection: close` and reads
    /// to the end (each read waits 5 s at most): the status line and the
    /// body. Throws `Failure` when it cannot connect or gets no HTTP answer.
    public static func get(port: Int, path: String) throws -> (status: String, body: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = TestPorts.loopback(port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw Failure(description: "connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw Failure(description: "send to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0 ..< n]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no HTTP answer: \(text)") }
        return (String(text[..<split.lowerBound]).components(separatedBy: "\r\n").first ?? "", String(text[split.upperBound...]))
    }
}
