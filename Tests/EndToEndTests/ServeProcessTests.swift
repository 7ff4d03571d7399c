#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import WeaveCore
@testable import WeavePeer

/// `weave serve` as a child process: killed with SIGKILL and restarted, it
/// catches up from the peer that stayed; on SIGTERM it saves the text.
/// Skipped until the `weave` binary next to the tests has the `serve` command.
@Suite(.serialized) struct ServeProcessTests {
    static var weave: String? {
        var buf = [Int8](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        var dir = String(decoding: buf[0 ..< n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // …/debug/WeavePackageTests.xctest (a file on Linux).
        dir = String(dir[..<(dir.lastIndex(of: "/") ?? dir.endIndex)])
        let path = dir + "/weave"
        guard access(path, X_OK) == 0, let p = try? Child(path, ["serve", "--help"]) else { return nil }
        let out = p.readAll()
        return p.wait() == 0 && out.contains("headless") ? path : nil
    }

    @Test(.enabled(if: ServeProcessTests.weave != nil, "the weave binary has no serve command yet"))
    func killedServerRestartsAndCatchesUp() throws {
        let weave = try #require(Self.weave)
        let file = "/tmp/weave-serve-test-\(getpid())-\(UInt32.random(in: 0 ... .max)).txt"
        let sidecar = "/tmp/." + String(file.dropFirst(5)) + ".weave"
        let config = "WEAVE_CONFIG_DIR=" + file + ".config"
        defer { unlink(file); unlink(sidecar); _ = try? FileManager.default.removeItem(atPath: file + ".config") }
        let first = try Child(weave, ["serve", file, "--port", "0"], environment: [config])
        let (port, invitation) = try #require(first.join())
        let joiner = SimPeer(replica: 0x99, name: "joiner")
        defer { _ = try? joiner.hub.shutdown() }
        // Over TLS with the invitation the server printed; the same one works after each restart.
        joiner.hub.connect(host: "127.0.0.1", port: port, invitation: invitation)
        joiner.type("before the kill. ")
        #expect(try synced(joiner))
        kill(first.pid, SIGKILL)
        _ = first.wait()
        joiner.type("while it was down. ")
        let second = try Child(weave, ["serve", file, "--port", "\(port)"], environment: [config])
        #expect(second.join()?.port == port)
        #expect(try synced(joiner))
        // Sent is not yet read: give the server a few heartbeats before stopping it.
        usleepMillis(500)
        kill(second.pid, SIGTERM)
        #expect(second.wait() == 0)
        #expect(readFile(file) == "before the kill. while it was down. ")
        // The history was kept (StoredDocument): a third run has the same
        // elements, so the joiner reconnecting to it does not get the text twice.
        #expect(access(sidecar, F_OK) == 0)
        let third = try Child(weave, ["serve", file, "--port", "\(port)"], environment: [config])
        let again = third.join()
        #expect(again?.port == port)
        #expect(again?.invitation == invitation, "the standing invitation is printed again")
        joiner.type("after. ")
        #expect(try synced(joiner))
        usleepMillis(500)
        kill(third.pid, SIGTERM)
        #expect(third.wait() == 0)
        #expect(readFile(file) == "before the kill. while it was down. after. ")
        #expect(joiner.editor.text == "before the kill. while it was down. after. ")
    }

    /// Whether the joiner is connected with nothing queued, within 20 s.
    func synced(_ p: SimPeer) throws -> Bool {
        try eventually(20) {
            try p.pump()
            let peers = try p.hub.currentStats().peers
            return peers.count == 1 && peers[0].state == .connected && peers[0].unitsQueued == 0
        }
    }
}

/// A child process with its stdout on a pipe.
final class Child {
    let pid: pid_t
    let out: Int32

    init(_ path: String, _ args: [String], environment: [String] = []) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw PeerError.io("pipe") }
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
        guard rc == 0 else { close(fds[0]); throw PeerError.io("posix_spawn \(path): \(rc)") }
        self.pid = pid
        out = fds[0]
    }

    deinit { close(out) }

    /// Reads stdout until a "join with: weave join HOST:PORT --invite TOKEN" line
    /// (10 s at most): the port and the invitation.
    func join() -> (port: Int, invitation: Invitation)? {
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

    func readAll() -> String {
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
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
