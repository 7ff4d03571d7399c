import Foundation
import NIOCore
import NIOEmbedded
@testable import WeavePeer

/// Hubs on `EmbeddedEventLoop`s, linked by pairs of `EmbeddedChannel`s: nothing
/// moves unless the test moves it, on the test's thread. Each connection (a
/// `Wire`) keeps the bytes each end wrote and the other has not read yet; the
/// test delivers them in chunks of any size, holds a direction back, runs a
/// hub's loop or advances its clock, in an order its seeded generator picks —
/// so one seed is one interleaving of every message, replayed exactly.
///
/// Bytes in flight are counted in frames (a 4-byte length, then the payload):
/// a delivery is some whole frames and perhaps a fraction of the next, as TCP
/// may cut anywhere. Counting frames, not bytes, keeps a seed's choices the
/// same when a payload's size varies from run to run (edit times are the
/// wall clock's, varint-coded).
///
/// A connection closes like TCP: an end its hub closed sends nothing more;
/// what it wrote before still arrives, and then the other end sees the close
/// (its channel is closed); bytes sent towards a closed end are lost.
final class EmbeddedNetwork {
    struct Node {
        let name: String
        let hub: PeerHub
        let loop: EmbeddedEventLoop
    }

    /// One connection: `ends[0]` is the dialling node's channel, `ends[1]` the accepting node's.
    final class Wire {
        let id: Int
        let nodes: [Int]
        let ends: [EmbeddedChannel]
        /// Frames written by `ends[i]` that the other end has not read yet; of
        /// the first, `headSent[i]` bytes were delivered already.
        var inFlight: [[[UInt8]]] = [[], []]
        var headSent = [0, 0]
        /// Written bytes not yet a whole frame.
        var partial: [[UInt8]] = [[], []]
        /// Direction i (from `ends[i]`) delivers nothing before this step.
        var heldUntil = [0, 0]
        /// `ends[i]` is closed (by its hub, or after it saw the other end close).
        var closed = [false, false]

        init(id: Int, nodes: [Int], ends: [EmbeddedChannel]) {
            self.id = id
            self.nodes = nodes
            self.ends = ends
        }

        var isDead: Bool { closed[0] && closed[1] && inFlight[0].isEmpty && inFlight[1].isEmpty }
    }

    private(set) var nodes: [Node] = []
    private(set) var wires: [Wire] = []
    private var nextWire = 1
    /// Every move, for the step log.
    var log: (String) -> Void = { _ in }

    @discardableResult
    func add(_ name: String, hub: PeerHub, loop: EmbeddedEventLoop) -> Int {
        nodes.append(Node(name: name, hub: hub, loop: loop))
        return nodes.count - 1
    }

    /// Node `from` connects to node `to` (which accepts): both hubs install
    /// their handlers as on a real socket; the dialler's Hello waits in flight.
    @discardableResult
    func dial(from: Int, to: Int) throws -> Wire {
        let id = nextWire
        nextWire += 1
        let a = EmbeddedChannel(loop: nodes[from].loop), b = EmbeddedChannel(loop: nodes[to].loop)
        try nodes[to].hub.install(on: b, link: nil)
        try b.connect(to: SocketAddress(ipAddress: "127.0.0.\(from + 1)", port: 40_000 + id)).wait()
        // The link ID names no `OutboundLink`: the hub never redials it; the test does (`Wire`s are made here).
        try nodes[from].hub.install(on: a, link: id)
        try a.connect(to: SocketAddress(ipAddress: "127.0.0.\(to + 1)", port: 7_000)).wait()
        let w = Wire(id: id, nodes: [from, to], ends: [a, b])
        wires.append(w)
        log("wire \(id): \(nodes[from].name) dials \(nodes[to].name)")
        collect()
        return w
    }

    func name(_ w: Wire, _ direction: Int) -> String {
        "\(nodes[w.nodes[direction]].name)→\(nodes[w.nodes[1 - direction]].name) (wire \(w.id))"
    }

    /// Takes what every channel wrote into its wire (no delivery).
    func collect() {
        for w in wires {
            for i in 0 ..< 2 {
                while let buffer = try? w.ends[i].readOutbound(as: ByteBuffer.self) {
                    w.partial[i] += buffer.readableBytesView
                }
                while w.partial[i].count >= 4 {
                    let length = w.partial[i].prefix(4).reduce(0) { $0 << 8 | Int($1) }
                    guard w.partial[i].count >= 4 + length else { break }
                    w.inFlight[i].append(Array(w.partial[i].prefix(4 + length)))
                    w.partial[i].removeFirst(4 + length)
                }
            }
        }
    }

    /// Delivers (the rest of) the first `frames` frames in flight in direction
    /// `i` of `w`, then `fraction` (0 ..< 1) of the next one, in one read.
    func deliver(_ w: Wire, _ i: Int, frames: Int, fraction: Double = 0) {
        var bytes: [UInt8] = []
        if ProcessInfo.processInfo.environment["WEAVE_FRAME_KINDS"] != nil {
            log("  kinds " + w.inFlight[i].prefix(frames).map { f -> String in
                guard f.count > 4, let m = try? Message.decode(Array(f.dropFirst(4))) else { return "?" }
                return "\(m.kind.name)" + (f[4] == 0x0D ? "/\(f[13])" : "")
            }.joined(separator: ","))
        }
        for _ in 0 ..< min(frames, w.inFlight[i].count) {
            bytes += w.inFlight[i].removeFirst().dropFirst(w.headSent[i])
            w.headSent[i] = 0
        }
        if let next = w.inFlight[i].first {
            let n = min(Int(Double(next.count) * fraction), next.count - 1)
            if n > w.headSent[i] {
                bytes += next[w.headSent[i] ..< n]
                w.headSent[i] = n
            }
        }
        guard !bytes.isEmpty else { return }
        let n = bytes.count
        let to = w.ends[1 - i]
        guard to.isActive else { return }
        var buffer = to.allocator.buffer(capacity: n)
        buffer.writeBytes(bytes)
        do { try to.writeInbound(buffer) } catch { log("  \(name(w, i)): \(error)") }
    }

    /// Directions that have bytes in flight, as (wire, direction).
    func busy(at step: Int, ignoringHolds: Bool = false) -> [(Wire, Int)] {
        var out: [(Wire, Int)] = []
        for w in wires {
            for i in 0 ..< 2 where !w.inFlight[i].isEmpty && (ignoringHolds || w.heldUntil[i] <= step) { out.append((w, i)) }
        }
        return out
    }

    /// Closes propagate: an end closed by its hub no longer receives (what was
    /// in flight to it is lost); once all it wrote has arrived, the other end
    /// sees the close. Dead wires go.
    func settleClosures() {
        var changed = true
        while changed {
            changed = false
            collect()
            for w in wires {
                for i in 0 ..< 2 where !w.closed[i] && !w.ends[i].isActive {
                    w.closed[i] = true
                    w.inFlight[1 - i] = []
                    w.headSent[1 - i] = 0
                    log("  \(nodes[w.nodes[i]].name)'s end of wire \(w.id) closed")
                    changed = true
                }
                for i in 0 ..< 2 where w.closed[i] && w.inFlight[i].isEmpty && !w.closed[1 - i] && w.ends[1 - i].isActive {
                    _ = w.ends[1 - i].close()
                    changed = true
                }
            }
        }
        wires.removeAll { $0.isDead }
    }

    /// Whether node `n` has a wire whose both ends are open.
    func isLinked(_ n: Int) -> Bool {
        wires.contains { $0.nodes.contains(n) && !$0.closed[0] && !$0.closed[1] }
    }

    /// Everything closed and every loop shut down (an embedded loop must not be freed with tasks).
    func tearDown() {
        for w in wires { for e in w.ends where e.isActive { _ = e.close() } }
        for n in nodes { n.loop.run() }
        for n in nodes { try? n.loop.syncShutdownGracefully() }
        wires.removeAll()
    }
}
