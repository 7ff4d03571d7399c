import NIOCore
import NIOEmbedded
import PeerTestSupport
import Testing
import WeaveCore
import WeaveHistory
import WeaveTestSupport
@testable import WeavePeer

/// Shared folders on the wire (docs/WIRE.md, "Documents"): the Open and Scoped
/// messages, the greeting's share, and several documents over one link between
/// real hubs on loopback.
@Suite struct DocumentSyncTests {
    static let x = DocumentID(rawValue: 0x1111), y = DocumentID(rawValue: 0x2222), z = DocumentID(rawValue: 0x3333)

    // MARK: Codec

    @Test func newMessagesRoundTrip() throws {
        var doc = RGA(replica: ReplicaID(7))
        let opMade = doc.insert("hi", at: 0)
        let op = try #require(opMade)
        let messages: [Message] = [
            .open(Self.x, VersionVector([ReplicaID(7): 2, ReplicaID(9): 1])),
            .open(Self.y, VersionVector()),
            .scoped(Self.x, .ops([op])),
            .scoped(Self.y, .history(HistoryNote(authors: [Author(replica: ReplicaID(7), name: "ann", colour: 3)],
                                                 marks: [EditMark(replica: ReplicaID(7), start: 0, count: 2, time: 1234)]))),
            .presence(Presence(replica: ReplicaID(7), sequence: 4, name: "ann", colour: 3, cursor: ElementID(counter: 1, replica: ReplicaID(7)),
                               document: Self.z)),
            .hello(Greeting(replica: ReplicaID(7), name: "ann", colour: 3, version: VersionVector(), share: .folder(0xABCD))),
            .welcome(Greeting(replica: ReplicaID(8), name: "bob", colour: 1, version: VersionVector([ReplicaID(7): 1]), share: .file)),
        ]
        for m in messages { #expect(try Message.decode(m.encode()) == m) }
    }

    @Test func scopedRefusesOtherMessagesAndTheMainDocument() throws {
        var w = ByteWriter()
        w.bytes.append(Message.Kind.scoped.rawValue)
        w.u64le(Self.x.rawValue)
        w.bytes += Message.ping(5).encode()
        do { _ = try Message.decode(w.bytes); Issue.record("decoded") } catch {
            #expect("\(error)".contains("only Ops and History"), "\(error)")
        }
        var main = ByteWriter()
        main.bytes.append(Message.Kind.scoped.rawValue)
        main.u64le(0)
        main.bytes += Message.ops([]).encode()
        do { _ = try Message.decode(main.bytes); Issue.record("decoded") } catch {
            #expect("\(error)".contains("0 is never scoped"), "\(error)")
        }
        // A scoped Ops whose operations are damaged names both.
        var doc = RGA(replica: ReplicaID(7))
        let opMade = doc.insert("hi", at: 0)
        let op = try #require(opMade)
        var bad = Message.scoped(Self.x, .ops([op])).encode()
        bad.removeLast(2)
        do { _ = try Message.decode(bad); Issue.record("decoded") } catch {
            #expect("\(error)".hasPrefix("malformed Scoped Ops message"), "\(error)")
        }
    }

    /// Every truncation of every new message is refused with a typed error, never a trap.
    @Test func everyTruncationFailsCleanly() throws {
        var doc = RGA(replica: ReplicaID(7))
        let opMade = doc.insert("hello", at: 0)
        let op = try #require(opMade)
        let messages: [Message] = [
            .open(Self.x, VersionVector([ReplicaID(7): 2])),
            .scoped(Self.x, .ops([op])),
            .scoped(Self.x, .history(HistoryNote(marks: [EditMark(replica: ReplicaID(7), start: 0, count: 5, time: 9)]))),
            .hello(Greeting(replica: ReplicaID(7), name: "ann", colour: 3, version: VersionVector(), share: .folder(1))),
        ]
        for m in messages {
            let bytes = m.encode()
            for n in 1 ..< bytes.count {
                #expect(throws: PeerError.self, "\(m.kind.name) cut to \(n)") { try Message.decode(Array(bytes[..<n])) }
            }
        }
    }

    // MARK: Over loopback

    static func hub(_ replica: UInt64, name: String, share: Greeting.Share) -> SimPeer {
        let p = SimPeer(RGA(replica: ReplicaID(replica)), name: name, configure: { $0.share = share })
        return p
    }

    /// `n` folder hubs (replicas 1…n), each holding an empty copy of every document of `documents`
    /// (added to its hub), and those copies, which the test edits and submits.
    static func folderPeers(_ n: Int, documents: [DocumentID]) -> ([SimPeer], [[DocumentID: RGA]]) {
        let peers = (1 ... n).map { Self.hub(UInt64($0), name: "p\($0)", share: .folder(0x77)) }
        let local = peers.map { p in Dictionary(uniqueKeysWithValues: documents.map { ($0, RGA(replica: p.hub.replica)) }) }
        for (i, p) in peers.enumerated() { for d in documents { p.hub.addDocument(d, local[i][d]!) } }
        return (peers, local)
    }

    /// Typing (1–4 characters at a random place) or, one time in three, deleting 1–3.
    static func randomEdit(_ doc: inout RGA, _ g: inout SeededRandom) -> WeaveCore.Operation? {
        if doc.count > 0 && g.chance(0.3) {
            let at = g.int(0 ..< doc.count)
            return doc.delete(at: at, length: min(doc.count - at, g.int(1 ... 3)))
        }
        return doc.insert(g.text(g.int(1 ... 4)), at: g.int(0 ... doc.count))
    }

    /// A folder hub on an embedded channel that a folder peer (replica 2) has
    /// greeted; `configure` adjusts its configuration first.
    static func greetedFolderHub(_ configure: (inout PeerHub.Configuration) -> Void) throws
        -> (EmbeddedEventLoop, EventLog, EmbeddedChannel) {
        let loop = EmbeddedEventLoop()
        let events = EventLog()
        var config = PeerHub.Configuration(name: "hub", colour: 1)
        config.share = .folder(1)
        configure(&config)
        let hub = PeerHub(document: RGA(replica: ReplicaID(1)), configuration: config, eventLoop: loop, onEvent: events.post)
        let ch = EmbeddedChannel(loop: loop)
        try hub.install(on: ch, link: nil)
        try ch.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7070)).wait()
        try ch.writeInbound(buffer(frameBytes(.hello(Greeting(replica: ReplicaID(2), name: "p", colour: 2, version: VersionVector(),
                                                               share: .folder(0))))))
        return (loop, events, ch)
    }

    static func text(_ p: SimPeer, _ d: DocumentID) throws -> String? {
        try p.hub.withDocument(d) { $0?.text }.wait()
    }

    @Test func aFolderJoinerIsRefusedByAFileHostAndTheOtherWayRound() throws {
        for (hostShare, joinerShare, words) in [(Greeting.Share.file, Greeting.Share.folder(0), "shares one file"),
                                                (.folder(5), .file, "shares a folder"),
                                                (.folder(5), .folder(6), "another folder")] {
            let host = Self.hub(1, name: "host", share: hostShare)
            defer { _ = try? host.hub.shutdown() }
            let joiner = Self.hub(2, name: "joiner", share: joinerShare)
            defer { _ = try? joiner.hub.shutdown() }
            let link = joiner.hub.connect(host: "127.0.0.1", port: try host.listen())
            #expect(eventually(10) {
                joiner.events.all.contains {
                    if case .linkFailed(link, .refused(let r)) = $0 { return r.code == .otherShare && r.text.contains(words) }
                    return false
                }
            }, "\(hostShare) / \(joinerShare)")
        }
    }

    @Test func aJoinerGetsOnlyTheDocumentsItOpensAndEditsFlowBothWays() throws {
        let host = Self.hub(1, name: "host", share: .folder(9))
        defer { _ = try? host.hub.shutdown() }
        var dx = RGA(replica: ReplicaID(1)); dx.insert("x text", at: 0)
        var dy = RGA(replica: ReplicaID(1)); dy.insert("y text", at: 0)
        host.hub.addDocument(Self.x, dx, marks: [EditMark(replica: ReplicaID(1), start: 0, count: 6, time: 42)])
        host.hub.addDocument(Self.y, dy)
        let joiner = Self.hub(2, name: "joiner", share: .folder(0))
        defer { _ = try? joiner.hub.shutdown() }
        joiner.hub.connect(host: "127.0.0.1", port: try host.listen())
        #expect(eventually(10) { joiner.events.all.contains { if case .peerJoined = $0 { return true } else { return false } } })
        joiner.hub.addDocument(Self.x, RGA(replica: ReplicaID(2)))
        #expect(try eventually(10) { try Self.text(joiner, Self.x) == "x text" })
        // The edit's mark came with it; nothing of y did.
        #expect(joiner.events.all.contains {
            if case .documentHistory(Self.x, let note) = $0 { return note.marks.contains { $0.time == 42 } } else { return false }
        })
        // The joiner's edit of x reaches the host.
        var jx = try #require(try joiner.hub.withDocument(Self.x) { $0 }.wait())
        let opMade = jx.insert("!", at: jx.count)
        let op = try #require(opMade)
        joiner.hub.submit([op], document: Self.x)
        #expect(try eventually(10) { try Self.text(host, Self.x) == "x text!" })
        // The host's answer comes back on the same link: whatever it sent of y
        // before (nothing, if y stays unopened) has arrived by then. No sleep.
        var hx = try #require(try host.hub.withDocument(Self.x) { $0 }.wait())
        let hostOp = hx.insert("?", at: hx.count)
        host.hub.submit([try #require(hostOp)], document: Self.x)
        #expect(try eventually(10) { try Self.text(joiner, Self.x) == "x text!?" })
        #expect(!joiner.events.all.contains { if case .documentOperations(Self.y, _, _) = $0 { return true } else { return false } })
        #expect(try Self.text(joiner, Self.y) == nil)
        // Opening y later brings it.
        joiner.hub.addDocument(Self.y, RGA(replica: ReplicaID(2)))
        #expect(try eventually(10) { try Self.text(joiner, Self.y) == "y text" })
        // A document the host adds while connected arrives once the joiner opens it too.
        var dz = RGA(replica: ReplicaID(1)); dz.insert("z", at: 0)
        host.hub.addDocument(Self.z, dz)
        joiner.hub.addDocument(Self.z, RGA(replica: ReplicaID(2)))
        #expect(try eventually(10) { try Self.text(joiner, Self.z) == "z" })
        // The main document is untouched by all of this.
        #expect(try joiner.hub.withDocument(.main) { $0?.text }.wait() == "")
    }

    /// Ops for a document this side never opened close the link with a clear reason.
    @Test func opsForADocumentNotOpenedCloseTheLink() throws {
        let (loop, events, ch) = try Self.greetedFolderHub { $0.outboundPacing = .zero }
        loop.run()
        var d = RGA(replica: ReplicaID(2))
        let opMade = d.insert("x", at: 0)
        let op = try #require(opMade)
        try ch.writeInbound(buffer(frameBytes(.scoped(Self.x, .ops([op])))))
        loop.run()
        #expect(!ch.isActive)
        #expect(events.all.contains {
            if case .peerLeft(_, let r) = $0 { return "\(r)".contains("which this side did not open") } else { return false }
        })
    }

    /// Four joiners reach a folder host through a fault-injecting proxy that
    /// delays, stalls and cuts every link while all five edit random
    /// documents: every document converges everywhere.
    @Test(arguments: [21, 22] as [UInt64]) func manyPeersThroughAFaultyProxyConvergePerDocument(seed: UInt64) throws {
        let seed = TestSeed.pick(seed)
        var g = SeededRandom(seed: seed)
        let docs = [Self.x, Self.y, Self.z]
        var (peers, local) = Self.folderPeers(5, documents: docs)
        defer { for p in peers { _ = try? p.hub.shutdown() } }
        let proxy = try FaultProxy(to: try peers[0].listen())
        defer { proxy.stop() }
        for p in peers.dropFirst() { p.hub.connect(host: "127.0.0.1", port: proxy.port) }
        func pump() throws {
            for (i, p) in peers.enumerated() {
                for e in p.events.take() {
                    if case .documentOperations(let d, let ops, _) = e { try local[i][d]!.receive(contentsOf: ops) }
                }
            }
        }
        for step in 0 ..< 400 {
            let i = g.int(0 ..< peers.count), d = docs[g.int(0 ..< docs.count)]
            if let op = Self.randomEdit(&local[i][d]!, &g) { peers[i].hub.submit([op], document: d) }
            switch g.int(0 ..< 100) {
            case 0 ..< 3: proxy.cut()
            case 3 ..< 5: proxy.delay(milliseconds: g.int(0 ... 40))
            case 5: proxy.stall(true)
            case 6 ..< 9: proxy.stall(false)
            default: break
            }
            if step % 20 == 0 { try pump(); usleepMillis(2) }
        }
        proxy.stall(false)
        proxy.delay(milliseconds: 0)
        let converged = try eventually(30) {
            try pump()
            for d in docs {
                let texts = try peers.map { try Self.text($0, d) ?? "\u{0}" }
                guard Set(texts).count == 1, (0 ..< peers.count).allSatisfy({ local[$0][d]!.text == texts[0] }) else { return false }
            }
            return true
        }
        #expect(converged, "seed \(seed), proxy \(proxy.counters)")
        #expect(proxy.counters.cuts > 0 && proxy.counters.accepted > 4, "the links were cut and redialled: \(proxy.counters)")
    }

    /// A peer naming more documents than the limit is cut off: what it can
    /// make this side remember is bounded.
    @Test func opensBeyondTheLimitCloseTheLink() throws {
        let (loop, events, ch) = try Self.greetedFolderHub { $0.maxDocumentsPerConnection = 3 }
        for n in 1 ... 3 as ClosedRange<UInt64> {
            try ch.writeInbound(buffer(frameBytes(.open(DocumentID(rawValue: n), VersionVector()))))
        }
        loop.run()
        #expect(ch.isActive, "three documents are within the limit")
        try ch.writeInbound(buffer(frameBytes(.open(DocumentID(rawValue: 4), VersionVector()))))
        loop.run()
        #expect(!ch.isActive)
        #expect(events.all.contains {
            if case .peerLeft(_, let r) = $0 { return "\(r)".contains("Open beyond 3 documents") } else { return false }
        })
    }

    /// Random edits to random documents on three hubs in a chain (A – B – C,
    /// B relaying), with links going offline and back: every document converges.
    @Test(arguments: [11, 12, 13] as [UInt64]) func threeHubsInAChainConvergePerDocument(seed: UInt64) throws {
        let seed = TestSeed.pick(seed)
        var g = SeededRandom(seed: seed)
        let docs = [Self.x, Self.y, Self.z]
        var (peers, local) = Self.folderPeers(3, documents: docs)
        defer { for p in peers { _ = try? p.hub.shutdown() } }
        let portB = try peers[1].listen()
        peers[0].hub.connect(host: "127.0.0.1", port: portB)
        peers[2].hub.connect(host: "127.0.0.1", port: portB)
        func pump() throws {
            for (i, p) in peers.enumerated() {
                for e in p.events.take() {
                    if case .documentOperations(let d, let ops, _) = e { try local[i][d]!.receive(contentsOf: ops) }
                }
            }
        }
        for step in 0 ..< 300 {
            let i = g.int(0 ..< 3), d = docs[g.int(0 ..< 3)]
            if let op = Self.randomEdit(&local[i][d]!, &g) { peers[i].hub.submit([op], document: d) }
            if g.chance(0.03) { peers[g.chance(0.5) ? 0 : 2].hub.setOnline(false) }
            if g.chance(0.05) { for p in peers { p.hub.setOnline(true) } }
            if step % 25 == 0 { try pump() }
        }
        for p in peers { p.hub.setOnline(true) }
        let converged = try eventually(20) {
            try pump()
            for d in docs {
                let texts = try peers.map { try Self.text($0, d) ?? "\u{0}" }
                guard Set(texts).count == 1, (0 ..< 3).allSatisfy({ local[$0][d]!.text == texts[0] }) else { return false }
            }
            return true
        }
        #expect(converged, "seed \(seed)")
    }
}
