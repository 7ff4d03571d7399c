import Foundation
import Testing
import WeaveCore
import WeaveHistory
import WeavePeer
import WeaveStore
import WeaveTestSupport
@testable import WeaveEditor
@testable import WeaveSession

/// The history travels with the operations: a joiner (with FILE, in memory, or
/// through a relay) holds the host's edits as the host made them, by name,
/// with their times — not one batch credited to a replica ID.
@Suite(.serialized) struct SharedHistoryTests {
    func pump(_ links: [PeerLink], seconds: Double = 15, until done: () -> Bool) -> Bool {
        pumpLinks(links, seconds: seconds, until: done)
    }

    /// A host session on FILE (alice) that has typed `words` one key per edit, listening.
    func host(_ dir: TempDir, words: [String]) throws -> (PeerLink, EditorSession, Int) {
        let file = dir.path + "/notes.txt"
        let session = try EditorSession(path: file, author: "alice")
        for (i, w) in words.enumerated() {
            for c in (i == 0 ? w : " " + w).unicodeScalars { session.press(.char(c)) }
        }
        let inbox = try PeerInbox()
        let hub = PeerLink.makeHub(document: session.editor.doc.rga, configuration: .init(name: "alice", colour: 2), inbox: inbox)
        hub.addHistory(session.store!.history)
        let port = try hub.listen(host: "127.0.0.1", port: 0).port!
        let link = PeerLink(session: session, hub: hub, inbox: inbox)
        link.attach()
        return (link, session, port)
    }

    /// The edits of `history` that hold units of `replica`, as (time, units).
    static func edits(of replica: ReplicaID, in history: History) -> [(Int64, Int)] {
        history.edits.compactMap { e in
            let units = e.ranges.filter { $0.replica == replica }.reduce(0) { $0 + Int($1.count) }
            return units > 0 ? (e.time, units) : nil
        }
    }

    @Test func aJoinerWithAFileGetsTheHostsEditsByNameWithTheirTimes() throws {
        let dir = try TempDir()
        let (host, hostSession, port) = try host(dir, words: ["one", "two", "three", "four", "five"])
        defer { _ = try? host.hub.shutdown() }
        let alice = host.hub.replica
        let hostEdits = Self.edits(of: alice, in: hostSession.store!.history)
        #expect(hostEdits.count == 23, "one edit per key on the host")

        let joinFile = dir.path + "/copy.txt"
        let joinSession = try EditorSession(path: joinFile, author: "bob")
        let inbox = try PeerInbox()
        let hub = PeerLink.makeHub(document: joinSession.editor.doc.rga, configuration: .init(name: "bob", colour: 3), inbox: inbox)
        defer { _ = try? hub.shutdown() }
        hub.addHistory(joinSession.store!.history)
        let join = PeerLink(session: joinSession, hub: hub, inbox: inbox)
        join.dialsOut = true
        join.attach()
        hub.connect(host: "127.0.0.1", port: port)
        #expect(pump([host, join]) { joinSession.editor.text == "one two three four five" })

        let history = joinSession.store!.history
        let got = Self.edits(of: alice, in: history)
        #expect(got.count == hostEdits.count, "the host's 23 edits, not one batch")
        #expect(got.map(\.0) == hostEdits.map(\.0), "with the host's times")
        #expect(got.map(\.1) == hostEdits.map(\.1))
        #expect(history.authors[alice]?.name == "alice")
        // The joiner's own typing goes back to the host as its edits, by name.
        joinSession.press(.ctrlEnd)
        for c in "!?".unicodeScalars { joinSession.press(.char(c)) }
        #expect(pump([host, join]) { hostSession.editor.text.hasSuffix("!?") })
        let bob = hub.replica
        #expect(Self.edits(of: bob, in: hostSession.store!.history).count == 2)
        #expect(hostSession.store!.history.authors[bob]?.name == "bob")

        // And the history on disk says so after reopening (weave log reads it).
        try joinSession.store!.flush()
        let reopened = try StoredDocument(file: joinFile, author: "bob")
        #expect(Self.edits(of: alice, in: reopened.history).map(\.0) == hostEdits.map(\.0))
        #expect(reopened.history.authors[alice]?.name == "alice")
    }

    @Test func aJoinerInMemoryCanTimeTravelThroughTheHostsEdits() throws {
        let dir = try TempDir()
        let (host, hostSession, port) = try host(dir, words: ["alpha", "beta"])
        defer { _ = try? host.hub.shutdown() }
        let bob = try SessionPeer.memoryJoiner(port: port, colour: 3)
        defer { bob.shutdown() }
        let (join, session) = (bob.link, bob.session)
        #expect(pump([host, join]) { session.editor.text == "alpha beta" })
        let memory = try #require(join.memoryHistory)
        let alice = host.hub.replica
        #expect(Self.edits(of: alice, in: memory).map(\.0) == Self.edits(of: alice, in: hostSession.store!.history).map(\.0))
        #expect(memory.authors[alice]?.name == "alice")
        // F2 opens the pane on those edits.
        session.press(.function(2))
        #expect(session.editor.pane != nil)
    }

    @Test func aRelayKeepsAndForwardsTheHistory() throws {
        let dir = try TempDir()
        let (host, hostSession, _) = try host(dir, words: ["via", "relay"])
        defer { _ = try? host.hub.shutdown() }
        // The relay: weave serve's history and hub, in process.
        let relayFile = dir.path + "/relay.txt"
        let relayHistory = ServeHistory(try StoredDocument(file: relayFile, author: "serve"))
        var config = PeerHub.Configuration(name: "serve")
        config.showsCursor = false
        let relay = PeerHub(document: relayHistory.document, configuration: config, onEvent: { e in
            if case .remoteOperations(let ops, _) = e { relayHistory.record(ops) }
            if case .history(let note) = e { relayHistory.learn(note) }
        })
        var relayDown = false
        defer { if !relayDown { _ = try? relay.shutdown() } }
        relay.addHistory(relayHistory.loadedHistory)
        let relayPort = try relay.listen(host: "127.0.0.1", port: 0).port!
        host.hub.connect(host: "127.0.0.1", port: relayPort)

        let bob = try SessionPeer.memoryJoiner(port: relayPort, colour: 3)
        defer { bob.shutdown() }
        let (join, session) = (bob.link, bob.session)
        #expect(pump([host, join]) { session.editor.text == "via relay" })
        let alice = host.hub.replica
        let hostTimes = Self.edits(of: alice, in: hostSession.store!.history).map(\.0)
        #expect(Self.edits(of: alice, in: try #require(join.memoryHistory)).map(\.0) == hostTimes, "forwarded by the relay")
        #expect(join.memoryHistory?.authors[alice]?.name == "alice")
        _ = try relay.shutdown()
        relayDown = true
        #expect(relayHistory.flushIfNeeded() == nil)
        let kept = try StoredDocument(file: relayFile, author: "serve")
        #expect(Self.edits(of: alice, in: kept.history).map(\.0) == hostTimes, "kept in the relay's history")
        #expect(kept.history.authors[alice]?.name == "alice")
    }
}
