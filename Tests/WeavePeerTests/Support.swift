#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import WeaveCore
@testable import WeavePeer

/// SplitMix64, as in WeaveCoreTests: every randomised test prints its seed.
struct SeededRandom: RandomNumberGenerator {
    private(set) var state: UInt64
    let seed: UInt64
    init(seed: UInt64) { self.seed = seed; state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ r: Range<Int>) -> Int { Int.random(in: r, using: &self) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0 ..< 1, using: &self) < p }
    mutating func text(_ n: Int) -> [Unicode.Scalar] {
        let alphabet = Array("abcdefgh xyz\né日本🙂".unicodeScalars)
        return (0 ..< n).map { _ in alphabet[int(0 ..< alphabet.count)] }
    }
}

/// Collects a hub's events (any thread).
final class EventLog: Sendable {
    /// Every event so far, and how many `take` has handed out.
    let state = NIOLockedValueBox<(events: [PeerEvent], taken: Int)>(([], 0))
    @Sendable func post(_ e: PeerEvent) { state.withLockedValue { $0.events.append(e) } }
    /// The events since the last `take`.
    func take() -> [PeerEvent] {
        state.withLockedValue { s in
            let new = Array(s.events[s.taken...])
            s.taken = s.events.count
            return new
        }
    }
    var all: [PeerEvent] { state.withLockedValue { $0.events } }
}

/// Frames `m` as a peer would send it.
func frameBytes(_ m: Message) -> [UInt8] { FrameEncoder.frame(m.encode()) }

func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

/// Every frame written to `channel`, decoded.
func writtenMessages(_ channel: EmbeddedChannel) throws -> [Message] {
    var all = ByteBuffer()
    while let b = try channel.readOutbound(as: ByteBuffer.self) { all.writeImmutableBuffer(b) }
    var out: [Message] = []
    while let payload = try FrameDecoder.nextFrame(&all, maxFrameSize: 1 << 30) { out.append(try Message.decode(payload)) }
    return out
}

/// A Hello of another protocol version (greeting layout of version 1 otherwise).
func greetingBytes(kind: Message.Kind, version: UInt64, _ g: Greeting) -> [UInt8] {
    var w = ByteWriter()
    w.bytes.append(kind.rawValue)
    Message.encodeGreeting(g, version: version, into: &w)
    return FrameEncoder.frame(w.bytes)
}

/// Polls `condition` every few milliseconds until it holds or `seconds` pass.
func eventually(_ seconds: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = NIODeadline.now() + .milliseconds(Int64(seconds * 1000))
    while NIODeadline.now() < deadline {
        if try condition() { return true }
        usleepMillis(5)
    }
    return try condition()
}

func usleepMillis(_ ms: Int) {
    var ts = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
    nanosleep(&ts, nil)
}

/// The contents of a file as text ("" when unreadable).
func readFile(_ path: String) -> String {
    guard let f = fopen(path, "r") else { return "" }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        bytes += chunk[0 ..< n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
