import NIOCore
import PeerTestSupport
import Testing
import WeaveCore
import WeaveHistory
import WeavePeer
import WeaveTestSupport
import WeaveWorkspace

/// Nobody edits as someone else (issue 29; docs/WIRE.md, "Security", "Authorship").
///
/// Real TCP and TLS, in one process: a host (or a relay, as `weave serve`), an
/// honest joiner (alice) and a hostile one (mallory), each with its own
/// installation key. Mallory, holding an ordinary edit invitation, makes
/// operations under the host's and alice's replicas (inserts, a delete, a
/// forged author card, folder records and a file's text) with the library's own
/// RGA, and sends them with her own. The hub she is linked to must apply her own
/// edits and none of the forged ones, tell her why (Declined), and nobody else
/// may ever receive them. Seeded: the seed is printed; `WEAVE_SEED=N` replays one.
@Suite(.serialized) struct AuthorshipTests {
    static let hostKey = try! PeerIdentity.generate(name: "host")
    static let aliceKey = try! PeerIdentity.generate(name: "alice")
    static let malloryKey = try! PeerIdentity.generate(name: "mallory")

    final class Peer {
        let events = EventLog()
        let hub: PeerHub
        init(_ doc: RGA, name: String, key: PeerIdentity, invitations: [Invitation] = [], book: InvitationBook? = nil,
             share: Greeting.Share = .file, cursor: Bool = true) {
            var c = SimPeer.testConfiguration
            c.name = name
            c.share = share
            c.showsCursor = cursor
            c.security = PeerSecurity(identity: key, invitations: book ?? InvitationBook(invitations))
            hub = PeerHub(document: doc, configuration: c, onEvent: events.post)
        }
        func doc(_ id: DocumentID = .main) throws -> RGA? { try hub.withDocument(id) { $0 }.wait() }
        func text(_ id: DocumentID = .main) throws -> String { try doc(id)?.text ?? "" }
        /// The reasons of every Declined this peer was sent.
        var declined: [String] {
            events.all.compactMap { e -> String? in if case .editsDeclined(_, _, let r) = e { return r } else { return nil } }
        }
        /// Every author card this peer learnt from its peers.
        var cards: [Author] {
            events.all.flatMap { e -> [Author] in
                switch e {
                case .history(let h), .documentHistory(_, let h): return h.authors
                default: return []
                }
            }
        }
    }

    /// `text` inserted at `position` as `victim` would: an RGA of the victim's
    /// replica holding everything `seen` holds makes the operation, exactly what
    /// the victim's own editor would have sent.
    static func forge(_ victim: ReplicaID, over seen: RGA, insert text: String, at position: Int) throws -> Operation {
        var f = RGA(replica: victim)
        try f.receive(contentsOf: seen.operations(since: VersionVector()))
        return try AuthorshipTests.made(f.insert(text, at: position))
    }

    static func forge(_ victim: ReplicaID, over seen: RGA, deleteAt position: Int, length: Int) throws -> Operation {
        var f = RGA(replica: victim)
        try f.receive(contentsOf: seen.operations(since: VersionVector()))
        return try AuthorshipTests.made(f.delete(at: position, length: length))
    }

    struct NoOperation: Error {}
    /// The operation a local edit made (an edit that makes none is a test error).
    static func made(_ op: Operation?) throws -> Operation {
        guard let op else { throw NoOperation() }
        return op
    }

    static func replicas(_ g: inout SeededRandom) -> (host: ReplicaID, alice: ReplicaID, mallory: ReplicaID) {
        (ReplicaID(g.next() | 1), ReplicaID(g.next() | 2), ReplicaID(g.next() | 4))
    }

    static func word(_ g: inout SeededRandom, _ prefix: String) -> String {
        prefix + String((0 ..< 6).map { _ in Character(Unicode.Scalar(UInt8(g.int(97 ... 122)))) })
    }

    /// Mallory, joined to the hub at `port`, forges an insert and a delete
    /// under each victim and a card renaming the first victim, then types her
    /// own word; returns the forged texts.
    static func attack(_ mallory: Peer, victims: [ReplicaID], own: String, g: inout SeededRandom) throws -> [String] {
        let seen = try #require(try mallory.doc())
        var forged: [Operation] = [], texts: [String] = []
        for v in victims {
            let t = word(&g, "FORGED-")
            texts.append(t)
            forged.append(try forge(v, over: seen, insert: t, at: g.int(0 ... seen.count)))
        }
        if seen.count > 2 { forged.append(try forge(victims[0], over: seen, deleteAt: 0, length: 2)) }
        // A card that would show the first victim's edits under another name.
        mallory.hub.addHistory(authors: [Author(replica: victims[0], name: "evil", colour: 6)], marks: [])
        mallory.hub.submit(forged)
        var mine = seen
        mallory.hub.submit([try AuthorshipTests.made(mine.insert(own, at: 0))])
        return texts
    }

    /// Both the forged operations and the forged card were refused at `hub`
    /// (and so never reached `others`), while `own` arrived everywhere.
    static func expectRefused(_ forged: [String], own: String, victims: [ReplicaID], victimUnits: [ReplicaID: UInt32],
                              hub: Peer, others: [Peer], mallory: Peer, seed: UInt64) throws {
        let everyone = [hub] + others
        #expect(try eventually(15) { try everyone.allSatisfy { try $0.text().contains(own) } },
                "seed \(seed): mallory's own edit did not arrive")
        #expect(eventually(10) { mallory.declined.count >= 1 }, "seed \(seed): mallory was not told")
        let reasons = mallory.declined.joined(separator: " | ")
        #expect(reasons.contains("belongs to another peer") || reasons.contains("own replica"), "seed \(seed): \(reasons)")
        // One more round trip: anything forged would be here by now.
        var probe = try #require(try hub.doc())
        hub.hub.submit([try AuthorshipTests.made(probe.insert("+", at: 0))])
        #expect(try eventually(10) { try everyone.allSatisfy { try $0.text().hasPrefix("+") } })
        for p in everyone {
            let doc = try #require(try p.doc())
            for t in forged { #expect(!doc.text.contains(t), "seed \(seed): \(p.hub.configuration.name) shows \(t)") }
            for v in victims {
                #expect(doc.seen(v) == victimUnits[v], "seed \(seed): \(p.hub.configuration.name) holds forged units of \(v)")
            }
            #expect(!p.cards.contains { $0.name == "evil" }, "seed \(seed): \(p.hub.configuration.name) took a forged card")
        }
    }

    @Test(arguments: [UInt64(29), 4242, 0xA11CE])
    func forgedAuthorsAreRefusedOnADirectLink(seed: UInt64) throws {
        let seed = TestSeed.pick(seed)
        print("AuthorshipTests.forgedAuthorsAreRefusedOnADirectLink seed \(seed)")
        var g = SeededRandom(seed: seed)
        let (hostR, aliceR, malloryR) = Self.replicas(&g)
        let invite = Invitation.make(for: Self.hostKey)
        var hostDoc = RGA(replica: hostR)
        hostDoc.insert(Self.word(&g, "host-"), at: 0)
        let host = Peer(hostDoc, name: "host", key: Self.hostKey, invitations: [invite])
        defer { _ = try? host.hub.shutdown() }
        let port = try host.hub.listen(host: "127.0.0.1", port: 0).port!
        let alice = Peer(RGA(replica: aliceR), name: "alice", key: Self.aliceKey)
        defer { _ = try? alice.hub.shutdown() }
        alice.hub.connect(host: "127.0.0.1", port: port, invitation: invite)
        #expect(try eventually(10) { try alice.text().hasPrefix("host-") })
        var a = try #require(try alice.doc())
        let aliceWord = Self.word(&g, "alice-")
        alice.hub.submit([try AuthorshipTests.made(a.insert(aliceWord, at: a.count))])
        #expect(try eventually(10) { try host.text().contains(aliceWord) })

        let mallory = Peer(RGA(replica: malloryR), name: "mallory", key: Self.malloryKey)
        defer { _ = try? mallory.hub.shutdown() }
        mallory.hub.connect(host: "127.0.0.1", port: port, invitation: invite)
        #expect(try eventually(10) { try mallory.text().contains(aliceWord) })
        let units = [hostR: try #require(try host.doc()).seen(hostR), aliceR: try #require(try host.doc()).seen(aliceR)]
        let own = Self.word(&g, "mallory-")
        let forged = try Self.attack(mallory, victims: [aliceR, hostR], own: own, g: &g)
        try Self.expectRefused(forged, own: own, victims: [aliceR, hostR], victimUnits: units.merging([hostR: units[hostR]! + 1]) { $1 },
                               hub: host, others: [alice], mallory: mallory, seed: seed)
    }

    /// As `weave serve`: a relay with no cursor and no text of its own; alice
    /// and mallory reach each other only through it.
    @Test(arguments: [UInt64(29), 4242, 0xA11CE])
    func forgedAuthorsAreRefusedThroughARelay(seed: UInt64) throws {
        let seed = TestSeed.pick(seed)
        print("AuthorshipTests.forgedAuthorsAreRefusedThroughARelay seed \(seed)")
        var g = SeededRandom(seed: seed)
        let (relayR, aliceR, malloryR) = Self.replicas(&g)
        let invite = Invitation.make(for: Self.hostKey)
        let relay = Peer(RGA(replica: relayR), name: "relay", key: Self.hostKey, invitations: [invite], cursor: false)
        defer { _ = try? relay.hub.shutdown() }
        let port = try relay.hub.listen(host: "127.0.0.1", port: 0).port!
        let alice = Peer(RGA(replica: aliceR), name: "alice", key: Self.aliceKey)
        defer { _ = try? alice.hub.shutdown() }
        alice.hub.connect(host: "127.0.0.1", port: port, invitation: invite)
        let mallory = Peer(RGA(replica: malloryR), name: "mallory", key: Self.malloryKey)
        defer { _ = try? mallory.hub.shutdown() }
        mallory.hub.connect(host: "127.0.0.1", port: port, invitation: invite)
        var a = alice.editorAfterJoin()
        let aliceWord = Self.word(&g, "alice-")
        alice.hub.submit([try AuthorshipTests.made(a.insert(aliceWord, at: 0))])
        #expect(try eventually(10) { try mallory.text().contains(aliceWord) })
        // The relay's own replica gets one unit, so it too is a victim with a history.
        var r = try #require(try relay.doc())
        relay.hub.submit([try AuthorshipTests.made(r.insert(".", at: r.count))])
        #expect(try eventually(10) { try mallory.text().hasSuffix(".") && alice.text().hasSuffix(".") })
        let held = try #require(try relay.doc())
        let own = Self.word(&g, "mallory-")
        let forged = try Self.attack(mallory, victims: [aliceR, relayR], own: own, g: &g)
        try Self.expectRefused(forged, own: own, victims: [aliceR, relayR],
                               victimUnits: [aliceR: held.seen(aliceR), relayR: held.seen(relayR) + 1],
                               hub: relay, others: [alice], mallory: mallory, seed: seed)
    }

    /// A shared folder: records appended to the manifest under alice's replica,
    /// and text of a shared file under the host's, are refused at the host;
    /// a record naming alice but sent under mallory's own replica reaches
    /// everyone as an operation and is refused by every fold (the record's
    /// author is the link's replica, and the link's replica is its key's);
    /// mallory's own record and text arrive.
    @Test(arguments: [UInt64(29), 0xF01DE2])
    func forgedFolderRecordsAreRefused(seed: UInt64) throws {
        let seed = TestSeed.pick(seed)
        print("AuthorshipTests.forgedFolderRecordsAreRefused seed \(seed)")
        var g = SeededRandom(seed: seed)
        let (hostR, aliceR, malloryR) = Self.replicas(&g)
        let workspace = g.next() | 1
        let invite = Invitation.make(for: Self.hostKey)
        let notes = DocumentID(rawValue: g.next() | 1)
        var manifest = RGA(replica: hostR)
        let create = try FolderState().create(path: "notes.txt", document: notes, author: hostR)
        manifest.insert(create.line, at: 0)
        var notesDoc = RGA(replica: hostR)
        notesDoc.insert(Self.word(&g, "notes-"), at: 0)
        let host = Peer(manifest, name: "host", key: Self.hostKey, invitations: [invite], share: .folder(workspace))
        defer { _ = try? host.hub.shutdown() }
        host.hub.addDocument(notes, notesDoc)
        let port = try host.hub.listen(host: "127.0.0.1", port: 0).port!
        func joiner(_ r: ReplicaID, _ name: String, _ key: PeerIdentity) -> Peer {
            let p = Peer(RGA(replica: r), name: name, key: key, share: .folder(workspace))
            p.hub.addDocument(notes, RGA(replica: r))
            p.hub.connect(host: "127.0.0.1", port: port, invitation: invite)
            return p
        }
        let alice = joiner(aliceR, "alice", Self.aliceKey)
        defer { _ = try? alice.hub.shutdown() }
        let mallory = joiner(malloryR, "mallory", Self.malloryKey)
        defer { _ = try? mallory.hub.shutdown() }
        #expect(try eventually(10) { try [alice, mallory].allSatisfy { try $0.text().contains("notes.txt") && $0.text(notes).hasPrefix("notes-") } })

        let seen = try #require(try mallory.doc())
        let state = FolderState(operations: seen.operations(since: VersionVector()))
        let evil = try state.create(path: "evil.txt", document: DocumentID(rawValue: g.next() | 1), author: aliceR)
        let framed = try state.create(path: "framed.txt", document: DocumentID(rawValue: g.next() | 1), author: aliceR)
        let mine = try state.create(path: "mine.txt", document: DocumentID(rawValue: g.next() | 1), author: malloryR)
        // 1. alice's record, under alice's replica: the hub must not take it.
        mallory.hub.submit([try Self.forge(aliceR, over: seen, insert: evil.line, at: seen.count)])
        // 2. alice's record under mallory's own replica, then mallory's own record.
        var m = seen
        mallory.hub.submit([try AuthorshipTests.made(m.insert(framed.line, at: m.count))])
        mallory.hub.submit([try AuthorshipTests.made(m.insert(mine.line, at: m.count))])
        // 3. text of notes.txt under the host's replica, and mallory's own.
        let notesSeen = try #require(try mallory.doc(notes))
        let forgedText = Self.word(&g, "FORGED-")
        mallory.hub.submit([try Self.forge(hostR, over: notesSeen, insert: forgedText, at: 0)], document: notes)
        var n = notesSeen
        let ownText = Self.word(&g, "mallory-")
        mallory.hub.submit([try AuthorshipTests.made(n.insert(ownText, at: n.count))], document: notes)

        let everyone = [host, alice]
        #expect(try eventually(15) { try everyone.allSatisfy { try $0.text().contains("mine.txt") && $0.text(notes).contains(ownText) } },
                "seed \(seed): mallory's own record and text did not arrive")
        #expect(eventually(10) { mallory.declined.count >= 2 }, "seed \(seed): mallory was not told twice: \(mallory.declined)")
        for p in everyone {
            let name = p.hub.configuration.name
            let doc = try #require(try p.doc())
            #expect(doc.seen(aliceR) == 0, "seed \(seed): \(name) holds manifest units under alice's replica")
            #expect(!doc.text.contains("evil.txt"), "seed \(seed): \(name)")
            #expect(try !p.text(notes).contains(forgedText), "seed \(seed): \(name)")
            #expect(try p.doc(notes)?.seen(hostR) == notesDoc.seen(hostR), "seed \(seed): \(name) holds forged units of the host")
            let folded = FolderState(operations: doc.operations(since: VersionVector()))
            #expect(Set(folded.files.map(\.path)) == ["notes.txt", "mine.txt"], "seed \(seed): \(name): \(folded.files.map(\.path))")
            #expect(folded.refusals.count == 1, "seed \(seed): \(name): \(folded.refusals)")
        }
    }

    /// What a joiner receives from its host is the host's word, except for the
    /// joiner's own replica: only the joiner makes its units, so a host that
    /// sends some under it is refused too.
    @Test func aHostCannotEditAsItsJoiner() throws {
        var g = SeededRandom(seed: TestSeed.pick(7))
        let (hostR, aliceR, _) = Self.replicas(&g)
        let invite = Invitation.make(for: Self.hostKey)
        let host = Peer(RGA(replica: hostR), name: "host", key: Self.hostKey, invitations: [invite])
        defer { _ = try? host.hub.shutdown() }
        let port = try host.hub.listen(host: "127.0.0.1", port: 0).port!
        let alice = Peer(RGA(replica: aliceR), name: "alice", key: Self.aliceKey)
        defer { _ = try? alice.hub.shutdown() }
        alice.hub.connect(host: "127.0.0.1", port: port, invitation: invite)
        var a = alice.editorAfterJoin()
        alice.hub.submit([try AuthorshipTests.made(a.insert("alice", at: 0))])
        #expect(try eventually(10) { try host.text() == "alice" })
        let seen = try #require(try host.doc())
        host.hub.submit([try Self.forge(aliceR, over: seen, insert: "FORGED", at: 5)])
        var h = seen
        host.hub.submit([try AuthorshipTests.made(h.insert("!", at: 5))])
        #expect(try eventually(10) { try alice.text() == "alice!" })
        #expect(eventually(10) { host.declined.contains { $0.contains("own replica") } }, "\(host.declined)")
        #expect(try alice.doc()?.seen(aliceR) == 5)
    }
}

extension AuthorshipTests {
    /// A host that restarts (a new process: a new replica, its history, the
    /// same invitations file) still knows whose replicas are whose: a joiner
    /// that restarted too brings the edits it made offline under its earlier
    /// replica, and a hostile joiner can no more write under that replica, or
    /// under the host's earlier one, than before the restart.
    @Test(arguments: [UInt64(29), 31337])
    func bindingsOutliveAHostRestart(seed: UInt64) throws {
        let seed = TestSeed.pick(seed)
        print("AuthorshipTests.bindingsOutliveAHostRestart seed \(seed)")
        var g = SeededRandom(seed: seed)
        let dir = try TempDir("authorship")
        let store = InvitationStore(document: dir.file("doc.txt"), directory: dir.file("config"))
        let invite = try store.standing(for: Self.hostKey, readOnly: false)
        let (host1R, alice1R, malloryR) = Self.replicas(&g)
        let (host2R, alice2R, _) = Self.replicas(&g)
        func copy(_ doc: RGA, as r: ReplicaID) throws -> RGA {
            var d = RGA(replica: r)
            try d.receive(contentsOf: doc.operations(since: VersionVector()))
            return d
        }

        var doc1 = RGA(replica: host1R)
        doc1.insert(Self.word(&g, "host-"), at: 0)
        let host1 = Peer(doc1, name: "host", key: Self.hostKey, book: try InvitationBook(store: store, for: Self.hostKey))
        let port1 = try host1.hub.listen(host: "127.0.0.1", port: 0).port!
        let alice1 = Peer(RGA(replica: alice1R), name: "alice", key: Self.aliceKey)
        alice1.hub.connect(host: "127.0.0.1", port: port1, invitation: invite)
        var a = alice1.editorAfterJoin()
        let online = Self.word(&g, "online-")
        alice1.hub.submit([try Self.made(a.insert(online, at: a.count))])
        #expect(try eventually(10) { try host1.text().contains(online) })
        // Alice goes offline, edits, and quits; then the host quits too.
        alice1.hub.setOnline(false)
        let offline = Self.word(&g, "offline-")
        alice1.hub.submit([try Self.made(a.insert(offline, at: a.count))])
        let aliceKept = try alice1.hub.shutdown()
        let hostKept = try host1.hub.shutdown()
        #expect(!hostKept.text.contains(offline))

        // Both start again, as new replicas with their histories.
        let host2 = Peer(try copy(hostKept, as: host2R), name: "host", key: Self.hostKey,
                         book: try InvitationBook(store: store, for: Self.hostKey))
        defer { _ = try? host2.hub.shutdown() }
        let port2 = try host2.hub.listen(host: "127.0.0.1", port: 0).port!
        let alice2 = Peer(try copy(aliceKept, as: alice2R), name: "alice", key: Self.aliceKey)
        defer { _ = try? alice2.hub.shutdown() }
        alice2.hub.connect(host: "127.0.0.1", port: port2, invitation: invite)
        var b = alice2.editorAfterJoin()
        let again = Self.word(&g, "again-")
        alice2.hub.submit([try Self.made(b.insert(again, at: 0))])
        #expect(try eventually(10) { try host2.text().contains(offline) && host2.text().contains(again) },
                "seed \(seed): alice's offline edit under her earlier replica did not arrive: \(alice2.declined)")

        let mallory = Peer(RGA(replica: malloryR), name: "mallory", key: Self.malloryKey)
        defer { _ = try? mallory.hub.shutdown() }
        mallory.hub.connect(host: "127.0.0.1", port: port2, invitation: invite)
        #expect(try eventually(10) { try mallory.text().contains(again) })
        let units = try #require(try host2.doc())
        let own = Self.word(&g, "mallory-")
        let forged = try Self.attack(mallory, victims: [alice1R, host1R], own: own, g: &g)
        try Self.expectRefused(forged, own: own, victims: [alice1R, host1R],
                               victimUnits: [alice1R: units.seen(alice1R), host1R: units.seen(host1R)],
                               hub: host2, others: [alice2], mallory: mallory, seed: seed)
    }
}

extension AuthorshipTests.Peer {
    /// This peer's document once its link is up (its editor starts from it).
    func editorAfterJoin() -> RGA {
        _ = eventually(10) { events.all.contains { if case .peerJoined = $0 { return true } else { return false } } }
        return (try? doc()) ?? RGA()
    }
}
