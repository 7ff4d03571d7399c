import Logging
import NIOCore
import NIOEmbedded
import Testing
import WeaveCore
@testable import WeavePeer

/// The hub's connection handling driven byte by byte on `EmbeddedChannel`s:
/// handshake, catch-up, refusals, bad input, timeouts and backpressure.
@Suite struct HubEmbeddedTests {
    static let a = ReplicaID(0xA), b = ReplicaID(0xB), c = ReplicaID(0xC)

    /// A hub on an embedded loop holding "hello" typed by replica A.
    struct Fixture {
        let loop = EmbeddedEventLoop()
        let events = EventLog()
        let hub: PeerHub
        var editor: RGA

        init(configure: (inout PeerHub.Configuration) -> Void = { _ in }) {
            var doc = RGA(replica: HubEmbeddedTests.a)
            doc.insert("hello", at: 0)
            editor = doc
            var config = PeerHub.Configuration(name: "hub", colour: 1)
            config.outboundPacing = .zero  // embedded time stands still: every round on the next run()
            configure(&config)
            hub = PeerHub(document: doc, configuration: config, eventLoop: loop, onEvent: events.post)
        }

        /// A connection as if accepted (`outbound == false`) or made by the hub.
        func connection(outbound: Bool = false) throws -> EmbeddedChannel {
            let ch = EmbeddedChannel(loop: loop)
            try hub.install(on: ch, link: outbound ? 99 : nil)
            try ch.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7070)).wait()
            return ch
        }

        /// An accepted connection from replica `peer` holding `doc`, past its handshake.
        func joined(_ doc: RGA) throws -> (EmbeddedChannel, [Message]) {
            let ch = try connection()
            try ch.writeInbound(buffer(frameBytes(.hello(Greeting(replica: doc.localReplica, name: "peer", colour: 2, version: doc.version)))))
            loop.run()
            return (ch, try writtenMessages(ch))
        }

        func text() -> String { loop.run(); return hub.document.text }
        /// (The blocking accessors would wait forever on an embedded loop.)
        func stats() -> HubStats { loop.run(); return hub.makeStats() }
    }

    static func ops(in messages: [Message]) -> [Operation] {
        messages.flatMap { m -> [Operation] in if case .ops(let o) = m { return o } else { return [] } }
    }

    @Test func acceptedPeerGetsWelcomeThenWhatItLacks() throws {
        let f = Fixture()
        let (ch, out) = try f.joined(RGA(replica: Self.b))
        guard case .welcome(let g) = out.first else { Issue.record("first message \(String(describing: out.first))"); return }
        #expect(g.replica == Self.a && g.name == "hub" && g.colour == 1 && g.version == VersionVector([Self.a: 5]))
        var joiner = RGA(replica: Self.b)
        try joiner.receive(contentsOf: Self.ops(in: out))
        #expect(joiner.text == "hello")
        // The joiner types; the hub applies it and reports it.
        let op = joiner.insert(" world", at: 5)!
        try ch.writeInbound(buffer(frameBytes(.ops([op]))))
        f.loop.run()
        #expect(f.text() == "hello world")
        let remote = f.events.all.compactMap { e -> [TextEdit]? in if case .remoteOperations(_, let edits) = e { return edits } else { return nil } }
        #expect(remote == [[TextEdit(position: 5, removed: 0, inserted: Array(" world".unicodeScalars))]])
        #expect(f.events.all.contains { if case .caughtUp = $0 { return true } else { return false } })
        #expect(ch.isActive)
    }

    @Test func outboundSendsHelloAndCatchesUpFromWelcome() throws {
        let f = Fixture()
        let ch = try f.connection(outbound: true)
        guard case .hello(let g)? = try writtenMessages(ch).first else { Issue.record("no hello"); return }
        #expect(g.replica == Self.a)
        var peer = RGA(replica: Self.b)
        peer.insert("abc", at: 0)
        try ch.writeInbound(buffer(frameBytes(.welcome(Greeting(replica: Self.b, name: "b", colour: 0, version: peer.version)))))
        try ch.writeInbound(buffer(frameBytes(.ops(peer.operations(since: VersionVector())))))
        f.loop.run()
        let text = f.text()
        #expect(text == "abchello" || text == "helloabc")
        try peer.receive(contentsOf: Self.ops(in: try writtenMessages(ch)))
        #expect(peer.text == text)
    }

    @Test func versionMismatchIsRefusedNamingBothVersions() throws {
        let f = Fixture()
        let ch = try f.connection()
        try ch.writeInbound(buffer(greetingBytes(kind: .hello, version: 4,
                                                 Greeting(replica: Self.b, name: "new", colour: 0, version: VersionVector()))))
        f.loop.run()
        let out = try writtenMessages(ch)
        #expect(out == [.refuse(Refusal(code: .versionMismatch, protocolVersion: 3,
                                         text: "protocol version 4 is not supported (this Weave speaks version 3)"))])
        #expect(!ch.isActive)
        #expect(f.events.all.contains {
            if case .connectionError(_, .versionMismatch(4, 3)) = $0 { return true } else { return false }
        })
    }

    /// A peer of the first protocol (no Ack, no Declined: it would close the link
    /// at the first Ack, and redial forever) and one of the second (single
    /// files only: a folder's Open and Scoped frames would close its links) are
    /// refused at their Hello, legibly.
    @Test(arguments: [1, 2] as [UInt64]) func anOlderPeerIsRefusedNamingBothVersions(old: UInt64) throws {
        let f = Fixture()
        let ch = try f.connection()
        try ch.writeInbound(buffer(greetingBytes(kind: .hello, version: old,
                                                 Greeting(replica: Self.b, name: "old", colour: 0, version: VersionVector()))))
        f.loop.run()
        #expect(try writtenMessages(ch) == [.refuse(Refusal(code: .versionMismatch, protocolVersion: 3,
                                                             text: "protocol version \(old) is not supported (this Weave speaks version 3)"))])
        #expect(!ch.isActive)
    }

    @Test func connectorRefusedByNewerPeerReportsItsReason() throws {
        let f = Fixture()
        let ch = try f.connection(outbound: true)
        let refusal = Refusal(code: .versionMismatch, protocolVersion: 4,
                              text: "protocol version 3 is not supported (this Weave speaks version 4)")
        try ch.writeInbound(buffer(frameBytes(.refuse(refusal))))
        f.loop.run()
        #expect(!ch.isActive)
        let reasons = f.events.all.compactMap { e -> PeerError? in if case .connectionError(_, let r) = e { return r } else { return nil } }
        #expect(reasons == [.refused(refusal)])
        #expect(reasons.first?.isPermanent == true)
        #expect(reasons.first?.description == "refused by the peer: protocol version 3 is not supported (this Weave speaks version 4)")
    }

    @Test func connectorGettingANewerWelcomeRefusesIt() throws {
        let f = Fixture()
        let ch = try f.connection(outbound: true)
        _ = try writtenMessages(ch)
        try ch.writeInbound(buffer(greetingBytes(kind: .welcome, version: 4,
                                                 Greeting(replica: Self.b, name: "", colour: 0, version: VersionVector()))))
        f.loop.run()
        #expect(try writtenMessages(ch) == [.refuse(Refusal(code: .versionMismatch, protocolVersion: 3,
                                                             text: "protocol version 4 is not supported (this Weave speaks version 3)"))])
        #expect(!ch.isActive)
    }

    @Test func connectingToOneselfIsRefused() throws {
        let f = Fixture()
        let ch = try f.connection()
        try ch.writeInbound(buffer(frameBytes(.hello(Greeting(replica: Self.a, name: "me", colour: 0, version: VersionVector())))))
        f.loop.run()
        guard case .refuse(let r)? = try writtenMessages(ch).first else { Issue.record("no refusal"); return }
        #expect(r.code == .sameReplica)
        #expect(!ch.isActive)
    }

    /// Bad input closes only its own connection, with a specific logged error;
    /// the document and the other connection carry on.
    @Test func badInputClosesOnlyThatConnection() throws {
        let path = "/tmp/weave-peer-test-\(UInt32.random(in: 0 ... .max)).log"
        let file = try KeyValueLogHandler.File(path: path)
        let f = Fixture { $0.logger = KeyValueLogHandler.logger(label: "weave.peer", file: file) }
        let (good, _) = try f.joined(RGA(replica: Self.b))
        var joiner = RGA(replica: Self.c)
        let (bad, welcome) = try f.joined(joiner)
        try joiner.receive(contentsOf: Self.ops(in: welcome))
        let cases: [([UInt8], PeerError)] = [
            (FrameEncoder.frame([0x42, 1, 2]), .unknownMessageType(0x42)),
            (FrameEncoder.frame([4, 0x57, 0x56, 0x4F, 0x50, 9]), .malformed(message: "Ops", .unsupportedVersion(found: 9, supported: 1))),
            ([0xFF, 0xFF, 0xFF, 0xFF], .frameTooLarge(length: 0xFFFF_FFFF, limit: 16 << 20)),
            // An insert after an element of its own author that was never made: can never apply.
            (frameBytes(.ops([Operation(replica: Self.c, seq: 0, counter: 9, body: .insert(after: ElementID(counter: 3, replica: Self.c), text: ["x"]))])),
             .badOperation(.unknownElement(ElementID(counter: 3, replica: Self.c), in: Self.c))),
            (frameBytes(.hello(Greeting(replica: Self.c, name: "", colour: 0, version: VersionVector()))),
             .unexpected(message: "Hello", state: "connected")),
        ]
        for (i, (bytes, error)) in cases.enumerated() {
            let ch = i == 0 ? bad : try f.joined(joiner).0
            try ch.writeInbound(buffer(bytes))
            f.loop.run()
            #expect(!ch.isActive, "case \(i)")
            let reasons = f.events.take().compactMap { e -> PeerError? in if case .peerLeft(_, let r) = e { return r } else { return nil } }
            #expect(reasons == [error], "case \(i)")
        }
        #expect(f.text() == "hello")
        #expect(good.isActive)
        var b = RGA(replica: Self.b)
        try b.receive(contentsOf: f.hub.document.operations(since: VersionVector()))
        let op = b.insert("!", at: 5)!
        try good.writeInbound(buffer(frameBytes(.ops([op]))))
        f.loop.run()
        #expect(f.text() == "hello!")
        let log = readFile(path)
        #expect(log.contains("msg=\"connection closed\""))
        #expect(log.contains("reason=\"unknown message type 66\""))
        #expect(log.contains("msg=\"handshake done\""))
        #expect(log.contains("msg=catch-up"))
    }

    @Test func fullCausalBufferClosesTheConnection() throws {
        let f = Fixture { $0.pendingLimit = 2 }
        let (ch, _) = try f.joined(RGA(replica: Self.b))
        // Three operations whose predecessors never come.
        let waiting = (1 ... 3).map { k in
            Operation(replica: Self.b, seq: UInt32(10 * k), counter: UInt32(100 * k), body: .insert(after: nil, text: ["z"]))
        }
        try ch.writeInbound(buffer(frameBytes(.ops(waiting))))
        f.loop.run()
        #expect(!ch.isActive)
        #expect(f.events.all.contains { if case .peerLeft(_, .badOperation(.causalBufferFull(2))) = $0 { return true } else { return false } })
        #expect(f.text() == "hello")
    }

    @Test func handshakeTimesOut() throws {
        let f = Fixture()
        let ch = try f.connection()
        f.loop.advanceTime(by: .seconds(4))
        #expect(ch.isActive)
        f.loop.advanceTime(by: .seconds(2))
        #expect(!ch.isActive)
        #expect(f.events.all.contains { if case .connectionError(_, .handshakeTimeout(5)) = $0 { return true } else { return false } })
    }

    @Test func silentPeerIsDeclaredDead() throws {
        let f = Fixture()
        let (ch, _) = try f.joined(RGA(replica: Self.b))
        for _ in 0 ..< 3 { f.loop.advanceTime(by: .seconds(1)) }
        #expect(try writtenMessages(ch).filter { if case .ping = $0 { return true } else { return false } }.count == 3)
        try ch.writeInbound(buffer(frameBytes(.pong(0))))  // heard from: the clock restarts
        for _ in 0 ..< 6 { f.loop.advanceTime(by: .seconds(1)) }
        #expect(ch.isActive)
        f.loop.advanceTime(by: .seconds(1))
        #expect(!ch.isActive)
        #expect(f.events.all.contains { if case .peerLeft(_, .peerSilent) = $0 { return true } else { return false } })
    }

    @Test func pingIsAnsweredAndPongMeasuresRoundTrip() throws {
        let f = Fixture()
        let (ch, _) = try f.joined(RGA(replica: Self.b))
        try ch.writeInbound(buffer(frameBytes(.ping(42))))
        #expect(try writtenMessages(ch) == [.pong(42)])
        f.loop.advanceTime(by: .seconds(1))
        guard case .ping(let t)? = try writtenMessages(ch).first else { Issue.record("no ping"); return }
        f.loop.advanceTime(by: .milliseconds(30))
        try ch.writeInbound(buffer(frameBytes(.pong(t))))
        let stats = f.stats()
        #expect(stats.peers.first?.rtt == .milliseconds(30))
    }

    /// While a peer's channel is not writable nothing is buffered for it; when
    /// it drains, everything it lacks goes at once, coalesced.
    @Test func slowReaderIsNotBufferedFor() throws {
        var f = Fixture()
        let (ch, _) = try f.joined(RGA(replica: Self.b))
        ch.isWritable = false
        for i in 0 ..< 200 {
            f.hub.submit(f.editor.insert("k", at: 5 + i)!)
        }
        f.loop.run()
        #expect(try writtenMessages(ch).isEmpty)
        #expect(f.stats().peers.first?.unitsQueued == 200)
        ch.isWritable = true
        ch.pipeline.fireChannelWritabilityChanged()
        let out = try writtenMessages(ch)
        #expect(out.count == 2, "one History frame (the edits' boundaries), then one Ops frame")
        #expect(Self.ops(in: out).map(\.length) == [200])
        #expect(f.stats().peers.first?.unitsQueued == 0)
    }

    @Test func presenceIsForwardedOnceAndCursorMapsToAnIndex() throws {
        let f = Fixture()
        let (one, _) = try f.joined(RGA(replica: Self.b))
        let (two, _) = try f.joined(RGA(replica: Self.c))
        let doc = f.hub.document
        let p = Presence(replica: Self.b, sequence: 5, name: "bo", colour: 4, cursor: doc.id(at: 1))
        try one.writeInbound(buffer(frameBytes(.presence(p))))
        try one.writeInbound(buffer(frameBytes(.presence(p))))  // duplicate: dropped
        f.loop.run()  // the next outbound round
        #expect(try writtenMessages(two) == [.presence(p)])
        #expect(doc.cursorIndex(after: p.cursor) == 2)
        #expect(doc.cursorElement(at: 2) == doc.id(at: 1))
        f.hub.setCursor(doc.id(at: 4))
        f.loop.run()
        guard case .presence(let mine)? = try writtenMessages(one).first else { Issue.record("no presence"); return }
        #expect(mine.replica == Self.a && doc.cursorIndex(after: mine.cursor) == 5)
    }
}
