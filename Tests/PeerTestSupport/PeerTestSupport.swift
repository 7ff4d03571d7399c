#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import WeaveCore
import WeavePeer
import WeaveTestSupport

// Shared by the peer tests and the end-to-end tests: simulated peers over
// real loopback sockets, an event log, bounded waits, child processes.


/// An editor and its hub, as `weave host`/`join` will wire them: the editor
/// keeps its own replica, submits local operations, and applies remote ones.
public final class SimPeer {
    public var editor: RGA
    public let events = EventLog()
    public let hub: PeerHub
    public var typed = 0

    public static var testConfiguration: PeerHub.Configuration {
        var c = PeerHub.Configuration(name: "sim", colour: 0)
        c.backoff = Backoff(initial: .milliseconds(20), cap: .milliseconds(200))
        c.heartbeatInterval = .milliseconds(200)
        c.deadAfter = .seconds(3)
        c.handshakeTimeout = .seconds(3)
        return c
    }

    public init(_ document: RGA, name: String = "sim", configure: (inout PeerHub.Configuration) -> Void = { _ in }) {
        editor = document
        var c = SimPeer.testConfiguration
        c.name = name
        configure(&c)
        hub = PeerHub(document: document, configuration: c, onEvent: events.post)
    }

    public convenience init(replica: UInt64, name: String = "sim") { self.init(RGA(replica: ReplicaID(replica)), name: name) }

    public func listen() throws -> Int { try hub.listen(host: "127.0.0.1", port: 0).port! }

    /// Applies what the hub delivered. Throws if an operation does not apply.
    public func pump() throws {
        for e in events.take() {
            if case .remoteOperations(let ops, _) = e { try editor.receive(contentsOf: ops) }
        }
    }

    /// One random local edit: mostly typing, sometimes a deletion.
    public func randomEdit(_ g: inout SeededRandom) {
        let op: WeaveCore.Operation?
        if editor.count > 0 && g.chance(0.25) {
            let at = g.int(0 ..< editor.count)
            op = editor.delete(at: at, length: min(editor.count - at, g.int(1 ..< 4)))
        } else {
            let n = g.int(1 ..< 4)
            op = editor.insert(g.text(n), at: g.int(0 ..< editor.count + 1))
            typed += n
        }
        if let op { hub.submit(op) }
    }

    public func type(_ s: String) {
        if let op = editor.insert(s, at: editor.count) { hub.submit(op); typed += s.unicodeScalars.count }
    }
}

/// Waits until every peer's editor and hub hold the same text and nothing waits
/// in a causal buffer. Bounded in time.
public func converge(_ peers: [SimPeer], seconds: Double = 20) throws -> Bool {
    try eventually(seconds) {
        for p in peers { try p.pump() }
        let texts = try peers.map { p -> String in
            let (text, pending) = try p.hub.withDocument { ($0.text, $0.pendingCount) }.wait()
            return pending == 0 && text == p.editor.text ? text : "\u{0}mismatch \(p.hub.replica)"
        }
        return Set(texts).count == 1 && !texts[0].hasPrefix("\u{0}")
    }
}


/// Collects a hub's events (any thread).
public final class EventLog: Sendable {
    /// Every event so far, and how many `take` has handed out.
    public let state = NIOLockedValueBox<(events: [PeerEvent], taken: Int)>(([], 0))
    public init() {}
    @Sendable public func post(_ e: PeerEvent) { state.withLockedValue { $0.events.append(e) } }
    /// The events since the last `take`.
    public func take() -> [PeerEvent] {
        state.withLockedValue { s in
            let new = Array(s.events[s.taken...])
            s.taken = s.events.count
            return new
        }
    }
    public var all: [PeerEvent] { state.withLockedValue { $0.events } }
}


/// Polls `condition` every few milliseconds until it holds or `seconds` pass.
public func eventually(_ seconds: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = NIODeadline.now() + .milliseconds(Int64(seconds * 1000))
    while NIODeadline.now() < deadline {
        if try condition() { return true }
        usleepMillis(5)
    }
    return try condition()
}

public func usleepMillis(_ ms: Int) {
    var ts = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
    nanosleep(&ts, nil)
}

/// The contents of a file as text ("" when unreadable).
public func readFile(_ path: String) -> String {
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

/// A child process with its stdout on a pipe.
public final class Child {
    public let pid: pid_t
    public let out: Int32

    public init(_ path: String, _ args: [String], environment: [String] = []) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ChildError("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let argv = ([path] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var env: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) }
        var e = environ
        while let entry = e.pointee { env.append(strdup(entry)); e += 1 }
        env.append(nil)
        defer { for v in env { free(v) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, env)
        close(fds[1])
        guard rc == 0 else { close(fds[0]); throw ChildError("posix_spawn \(path): \(String(cString: strerror(rc)))") }
        self.pid = pid
        out = fds[0]
    }

    deinit { close(out) }

    /// Reads stdout until a "join with: weave join HOST:PORT --invite TOKEN" line
    /// (10 s at most): the port and the invitation.
    public func join() -> (port: Int, invitation: Invitation)? {
        var text = ""
        let deadline = time(nil) + 10
        while time(nil) < deadline {
            var p = pollfd(fd: out, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) >= 0 else { return nil }
            if p.revents == 0 { continue }
            var buf = [UInt8](repeating: 0, count: 1024)
            let n = read(out, &buf, buf.count)
            if n <= 0 { return nil }
            text += String(decoding: buf[0 ..< n], as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("join with: weave join ") {
                let words = line.split(separator: " ")
                // join with: weave join HOST:PORT --invite TOKEN
                guard words.count == 7, words[5] == "--invite", let colon = words[4].lastIndex(of: ":"),
                      let port = Int(words[4][words[4].index(after: colon)...]), let inv = Invitation(token: String(words[6]))
                else { return nil }
                return (port, inv)
            }
        }
        return nil
    }

    public func readAll() -> String {
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(out, &buf, buf.count)
            if n <= 0 { break }
            bytes += buf[0 ..< n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The exit status (or 128 + signal).
    public func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

/// Why a child process could not be started.
public struct ChildError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
