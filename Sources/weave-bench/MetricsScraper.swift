#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOConcurrencyHelpers

/// What Prometheus does to a relay run with `--metrics`: GET /metrics every
/// `interval` on its own thread, until `stop()`. `weave-bench storm
/// --metrics-overhead` runs one beside the relay so that the "on" figures
/// include the cost of being scraped, not only of counting.
///
/// Each scrape is one blocking HTTP/1.1 request on a new loopback connection
/// (5 s receive timeout); a scrape that fails is counted, never retried.
final class MetricsScraper: @unchecked Sendable {
    private let port: Int
    private let interval: Double
    private let state = NIOLockedValueBox((scrapes: 0, failures: 0, bytes: 0, stopped: false))
    private var thread: Thread?

    /// Starts scraping 127.0.0.1:`port`/metrics every `interval` seconds (the first at once).
    init(port: Int, interval: Double = 1) {
        (self.port, self.interval) = (port, interval)
        let t = Thread { [self] in loop() }
        thread = t
        t.start()
    }

    /// Scrapes done, failed, and bytes of Prometheus text read so far.
    var counts: (scrapes: Int, failures: Int, bytes: Int) {
        state.withLockedValue { ($0.scrapes, $0.failures, $0.bytes) }
    }

    /// Stops after the scrape under way (returns at once; the thread ends within `interval`).
    func stop() { state.withLockedValue { $0.stopped = true } }

    private func loop() {
        while !state.withLockedValue({ $0.stopped }) {
            let body = Self.get(port: port, path: "/metrics")
            state.withLockedValue {
                if let body, body.contains("weave_peers") { $0.scrapes += 1; $0.bytes += body.utf8.count } else { $0.failures += 1 }
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    /// GET `path` from 127.0.0.1:`port`: the body of a 200 answer, else nil.
    static func get(port: Int, path: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0 ..< n]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 200"), let split = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[split.upperBound...])
    }
}
