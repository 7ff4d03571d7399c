#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import WeaveCore

/// A TCP proxy on 127.0.0.1 that sits between two peers and injects the faults a
/// real network shows an application: it can **stall** (hold every byte until
/// released), **delay** (each chunk forwarded a fixed time after it arrived),
/// **cut** (reset every connection through it at once, losing what was in
/// flight), **refuse** new connections, and **lose** packets. A TCP link cannot
/// drop or reorder bytes inside one connection (the kernel retransmits), so
/// loss is modelled as what it becomes above TCP: a lost chunk arrives one
/// retransmission timeout late (Linux's least, 200 ms, doubling for each loss
/// in a row up to 3.2 s), holding back every chunk behind it; a long outage is
/// a stall or a cut, after which the peers redial.
///
/// One thread accepts; one thread per connection moves bytes both ways with
/// poll(2), bounded by the chunks' due times. Every knob may be turned from any
/// thread. Loopback only.
public final class FaultProxy: @unchecked Sendable {
    public struct Counters: Sendable {
        public var accepted = 0, refused = 0, cuts = 0
        public var bytesForwarded = 0
        /// Chunks held back a retransmission timeout (`lose(percent:seed:)`).
        public var chunksLost = 0
    }

    private struct Knobs {
        var stalled = false
        var refusing = false
        var delayNanos: UInt64 = 0
        var lossPercent = 0
        var random = SplitMix64(seed: 0)
        var cutGeneration = 0
        var stopped = false
        var counters = Counters()
    }

    public let port: Int
    private let target: Int
    private let listener: Int32
    private let knobs = NIOLockedValueBox(Knobs())
    private var acceptThread: pthread_t?

    /// Listens on a free loopback port and forwards each connection to `127.0.0.1:targetPort`.
    public init(to targetPort: Int) throws {
        target = targetPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProxyError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = FaultProxy.loopback(port: 0)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 256) == 0 else {
            close(fd)
            throw ProxyError("bind/listen: \(String(cString: strerror(errno)))")
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        acceptThread = FaultProxy.spawn { [self] in acceptLoop() }
    }

    deinit { stop() }

    // MARK: Knobs

    /// While stalled, nothing is forwarded either way (bytes wait, in order).
    public func stall(_ on: Bool) { knobs.withLockedValue { $0.stalled = on } }
    /// Every chunk is forwarded `milliseconds` after it arrived (0: at once).
    public func delay(milliseconds: Int) { knobs.withLockedValue { $0.delayNanos = UInt64(max(0, milliseconds)) * 1_000_000 } }
    /// Each chunk is lost with probability `percent` / 100 (drawn from a
    /// generator seeded with `seed`, shared by every connection) and arrives
    /// a retransmission timeout late, as TCP delivers a lost segment; 0: none.
    public func lose(percent: Int, seed: UInt64) {
        knobs.withLockedValue { $0.lossPercent = min(100, max(0, percent)); $0.random = SplitMix64(seed: seed) }
    }
    /// New connections are accepted and closed at once while refusing.
    public func refuse(_ on: Bool) { knobs.withLockedValue { $0.refusing = on } }
    /// Resets every connection now open through the proxy (bytes in flight are lost).
    public func cut() { knobs.withLockedValue { $0.cutGeneration += 1; $0.counters.cuts += 1 } }
    public var counters: Counters { knobs.withLockedValue { $0.counters } }

    /// Closes the listener; open connections are reset within ~50 ms.
    public func stop() {
        let first = knobs.withLockedValue { k -> Bool in defer { k.stopped = true }; return !k.stopped }
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        if let t = acceptThread { pthread_join(t, nil) }
    }

    // MARK: Threads

    private func acceptLoop() {
        while true {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 1, 50)
            if knobs.withLockedValue({ $0.stopped }) { return }
            guard ready > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            let refusing = knobs.withLockedValue { k -> Bool in
                if k.refusing { k.counters.refused += 1 } else { k.counters.accepted += 1 }
                return k.refusing
            }
            if refusing { FaultProxy.reset(client); continue }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = FaultProxy.loopback(port: target)
            let connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { FaultProxy.reset(client); close(upstream); continue }
            let generation = knobs.withLockedValue { $0.cutGeneration }
            let t = FaultProxy.spawn { [self] in pump(client, upstream, generation: generation) }
            pthread_detach(t)
        }
    }

    /// Moves bytes between `a` and `b` until either side closes, a cut, or stop.
    private func pump(_ a: Int32, _ b: Int32, generation: Int) {
        defer { FaultProxy.reset(a); FaultProxy.reset(b) }
        // Chunks waiting to go, per direction: (due time, bytes).
        var toB: [(due: UInt64, bytes: [UInt8])] = [], toA: [(due: UInt64, bytes: [UInt8])] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var lossesInARow = [0, 0]  // per direction: each retransmission waits twice as long
        var open = true
        while open {
            let k = knobs.withLockedValue { $0 }
            if k.stopped || k.cutGeneration != generation { return }
            let now = FaultProxy.nanos()
            // Forward what is due (unless stalled).
            if !k.stalled {
                for (queue, fd) in [(0, b), (1, a)] {
                    while let first = (queue == 0 ? toB.first : toA.first), first.due <= now {
                        guard FaultProxy.writeAll(fd, first.bytes) else { return }
                        knobs.withLockedValue { $0.counters.bytesForwarded += first.bytes.count }
                        if queue == 0 { toB.removeFirst() } else { toA.removeFirst() }
                    }
                }
            }
            // Wait for input, or for the next chunk to fall due (at most 20 ms, to see the knobs).
            let next = (toB.first?.due).map { min($0, toA.first?.due ?? .max) } ?? toA.first?.due
            let wait = next.map { $0 > now ? Int32(min(20, ($0 - now) / 1_000_000 + 1)) : 0 } ?? 20
            var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, k.stalled ? 20 : wait) >= 0 else { return }
            for (i, fd) in [a, b].enumerated() where fds[i].revents != 0 {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { open = false; break }
                // In order: never due before the chunk ahead of it.
                var due = max(FaultProxy.nanos() + k.delayNanos, (i == 0 ? toB.last?.due : toA.last?.due) ?? 0)
                let lost = k.lossPercent > 0 && knobs.withLockedValue { k -> Bool in
                    let hit = Int(k.random.next() % 100) < k.lossPercent
                    if hit { k.counters.chunksLost += 1 }
                    return hit
                }
                if lost {
                    due += FaultProxy.retransmissionNanos << UInt64(min(4, lossesInARow[i]))
                    lossesInARow[i] += 1
                } else {
                    lossesInARow[i] = 0
                }
                let chunk = (due: due, bytes: Array(buffer[0 ..< n]))
                if i == 0 { toB.append(chunk) } else { toA.append(chunk) }
            }
        }
        // One side closed: deliver what is left to the other (a clean close loses nothing).
        for (chunk, fd) in toB.map({ ($0, b) }) + toA.map({ ($0, a) }) { _ = FaultProxy.writeAll(fd, chunk.bytes) }
    }

    // MARK: Helpers

    /// Linux's least retransmission timeout (TCP_RTO_MIN), 200 ms.
    static let retransmissionNanos: UInt64 = 200_000_000

    private static func loopback(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    /// Closes with RST (SO_LINGER 0), as a broken link looks to the peer.
    private static func reset(_ fd: Int32) {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        close(fd)
    }

    private static func nanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    private final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }

    private static func spawn(_ body: @escaping () -> Void) -> pthread_t {
        var t = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        pthread_create(&t, nil, { raw in
            let b = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            b.body()
            return nil
        }, box)
        return t
    }
}

public struct ProxyError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
