import Foundation
import Testing
import WeaveCore
import WeavePeer
import WeaveTestSupport
@testable import WeaveEditor
@testable import WeaveSession

/// Quitting an in-memory joiner with edits no peer has acknowledged, over
/// real loopback sockets: it waits for them (bounded), then asks — wait /
/// save a copy / quit anyway — and never ends silently with edits unsent.
@Suite(.serialized) struct QuitDeliveryTests {
    func pump(_ links: [PeerLink], seconds: Double = 10, until done: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            for l in links {
                for e in l.inbox.drain() { l.handle(e) }
                l.beforeDraw()
            }
            if done() { return true }
            usleep(2000)
        }
        return false
    }

    struct Pair {
        let host: PeerLink, join: PeerLink
        let hostSession: EditorSession, joinSession: EditorSession
        let hostHub: PeerHub, joinHub: PeerHub
    }

    func pair() throws -> Pair {
        let hostSession = try EditorSession(memory: "[host]", document: RGA(replica: .random()), saveRefusal: "no file")
        let hostInbox = try PeerInbox()
        let hostHub = PeerLink.makeHub(document: hostSession.editor.doc.rga, configuration: .init(name: "alice", colour: 0), inbox: hostInbox)
        let port = try hostHub.listen(host: "127.0.0.1", port: 0).port!
        let host = PeerLink(session: hostSession, hub: hostHub, inbox: hostInbox)
        host.attach()
        let joinInbox = try PeerInbox()
        let replica = ReplicaID.random()
        let joinHub = PeerLink.makeHub(document: RGA(replica: replica), configuration: .init(name: "bob", colour: 1), inbox: joinInbox)
        let joinSession = try EditorSession(memory: "[join]", document: RGA(replica: replica), saveRefusal: "no file")
        let join = PeerLink(session: joinSession, hub: joinHub, inbox: joinInbox)
        join.dialsOut = true
        join.quitWait = 0.3
        join.attach()
        joinHub.connect(host: "127.0.0.1", port: port)
        return Pair(host: host, join: join, hostSession: hostSession, joinSession: joinSession, hostHub: hostHub, joinHub: joinHub)
    }

    func type(_ s: String, _ session: EditorSession) { for c in s.unicodeScalars { session.press(.char(c)) } }

    @Test func acknowledgedEditsLetCtrlQThroughAndUnsentOnesAreAskedAbout() throws {
        let p = try pair()
        defer { _ = try? p.joinHub.shutdown(); _ = try? p.hostHub.shutdown() }
        #expect(pump([p.host, p.join]) { !p.join.connected.isEmpty && !p.host.connected.isEmpty })
        type("sent", p.joinSession)
        #expect(pump([p.host, p.join]) { (try? p.joinHub.currentDelivery()) == Delivery(own: 4, acknowledged: 4) })
        // Acknowledged means the host's hub applied them; its editor takes them from the inbox.
        #expect(pump([p.host, p.join]) { p.hostSession.editor.text == "sent" }, "acknowledged means the host applied them")
        p.joinSession.press(.ctrl("q"))
        #expect(p.join.quitting == .no && !p.join.endedSession, "nothing unsent: the editor's own Ctrl-Q runs")
        p.joinSession.press(.escape)

        // Offline: nothing can take the edits now; Ctrl-Q asks at once.
        p.joinSession.press(.function(6))
        #expect(pump([p.host, p.join]) { p.join.connected.isEmpty })
        type("!!!", p.joinSession)
        p.joinSession.press(.ctrl("q"))
        #expect(p.join.quitting == .asking)
        #expect(p.joinSession.editor.question == "3 edits not yet sent (no peer connected): w wait / s save a copy / q quit anyway / Esc edit")
        type("x", p.joinSession)
        #expect(p.joinSession.editor.text == "sent!!!", "the question holds the keyboard")
        p.joinSession.press(.escape)
        #expect(p.join.quitting == .no && p.joinSession.editor.question == nil && !p.join.endedSession)
        #expect(p.joinSession.editor.message == "Not quit: 3 edits still to send")

        // Back online: the catch-up takes the three and is acknowledged.
        p.joinSession.press(.function(6))
        #expect(pump([p.host, p.join]) { !p.join.connected.isEmpty && (try? p.joinHub.currentDelivery().pending) == 0 })
        #expect(pump([p.host, p.join]) { p.hostSession.editor.text == "sent!!!" })
        // The host's loop stalls (until released, at most 10 s): what is typed
        // now is not acknowledged within the 0.3 s wait; Ctrl-Q waits, then
        // asks; w waits on, and the session ends as soon as the host has them.
        let running = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let stall = p.hostHub.eventLoop.submit { running.signal(); _ = release.wait(timeout: .now() + 10) }
        running.wait()
        type("???", p.joinSession)
        p.joinSession.press(.ctrl("q"))
        if case .sending = p.join.quitting {} else { Issue.record("not waiting: \(p.join.quitting)") }
        #expect(pump([p.host, p.join]) { p.join.quitting == .asking })
        #expect(p.joinSession.editor.question?.hasPrefix("3 edits not yet sent: w wait") == true, "\(String(describing: p.joinSession.editor.question))")
        #expect(!p.join.endedSession)
        p.joinSession.press(.char("w"))
        release.signal()
        _ = try stall.wait()
        #expect(pump([p.host, p.join]) { p.join.endedSession })
        #expect(try p.joinHub.currentDelivery().pending == 0)
        #expect(pump([p.host, p.join]) { p.hostSession.editor.text == "sent!!!???" })
    }

    @Test func saveACopyWritesTheTextAndEnds() throws {
        let p = try pair()
        defer { _ = try? p.joinHub.shutdown(); _ = try? p.hostHub.shutdown() }
        #expect(pump([p.host, p.join]) { !p.join.connected.isEmpty })
        p.joinSession.press(.function(6))
        type("keep me", p.joinSession)
        p.joinSession.press(.ctrl("q"))
        let dir = try TempDir("copy")
        p.join.copyFolder = dir.path  // not the process's working directory: suites run in parallel
        p.joinSession.press(.char("s"))
        #expect(p.join.endedSession)
        let copies = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("weave-copy-") }
        #expect(copies.count == 1)
        #expect(try String(contentsOfFile: dir.file(copies.first ?? "?"), encoding: .utf8) == "keep me")
        #expect(p.join.exitNote?.contains(copies.first ?? "?") == true)
    }

    @Test func quitAnywayEnds() throws {
        let p = try pair()
        defer { _ = try? p.joinHub.shutdown(); _ = try? p.hostHub.shutdown() }
        p.joinSession.press(.function(6))
        type("gone", p.joinSession)
        p.joinSession.press(.ctrl("q"))
        #expect(p.join.quitting == .asking)
        p.joinSession.press(.char("q"))
        #expect(p.join.endedSession)
    }
}
