#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PeerTestSupport
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
        guard let answer = try? LoopbackHTTP.get(port: port, path: path), answer.status.hasPrefix("HTTP/1.1 200") else { return nil }
        return answer.body
    }
}
