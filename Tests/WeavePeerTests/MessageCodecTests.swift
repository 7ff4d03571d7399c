import NIOCore
import NIOEmbedded
import Testing
import WeaveCore
import WeaveHistory
@testable import WeavePeer

@Suite struct MessageCodecTests {
    static let a = ReplicaID(0xA1), b = ReplicaID(0xB2)

    static var samples: [Message] {
        var doc = RGA(replica: a)
        let ins = doc.insert("héllo 日本🙂", at: 0)!
        let del = doc.delete(at: 1, length: 3)!
        return [
            .hello(Greeting(replica: a, name: "ana", colour: 3, version: VersionVector([a: 12, b: 7]))),
            .welcome(Greeting(replica: b, name: "", colour: 0, version: VersionVector())),
            .refuse(Refusal(code: .versionMismatch, protocolVersion: 1, text: "protocol version 2 is not supported")),
            .ops([ins, del]),
            .ops([]),
            .history(HistoryNote(authors: [Author(replica: a, name: "ana", colour: 3), Author(replica: b, name: "", colour: 0)],
                                 marks: [EditMark(replica: a, start: 0, count: 5, time: 1_764_000_000_000),
                                         EditMark(replica: a, start: 9, count: 1, time: 1_763_999_999_000),
                                         EditMark(replica: b, start: 3, count: 2, time: 0)])),
            .history(HistoryNote()),
            .presence(Presence(replica: a, sequence: 99, name: "ana", colour: 2, cursor: ElementID(counter: 4, replica: b))),
            .presence(Presence(replica: a, sequence: 100, name: "ana", colour: 2, cursor: ElementID(counter: 4, replica: b),
                               selection: .init(after: ElementID(counter: 9, replica: a)))),
            .presence(Presence(replica: b, sequence: 1, name: "bo", colour: 1, cursor: nil, selection: .init(after: nil))),
            .presence(Presence(replica: b, sequence: 0, name: "bo", colour: 255, cursor: nil)),
            .ping(123_456_789), .pong(UInt64.max), .bye("shutting down"),
            .declined(Declined(code: .unauthorized, units: 12, reason: "read-only invitation: edits are not accepted")),
            .declined(Declined(code: .other, units: 0, reason: "")),
            .ack(VersionVector([a: 12, b: 7])), .ack(VersionVector()),
        ]
    }

    @Test func roundTrip() throws {
        for m in Self.samples {
            #expect(try Message.decode(m.encode()) == m)
        }
    }

    @Test func unknownType() {
        #expect(throws: PeerError.unknownMessageType(0x7F)) { try Message.decode([0x7F, 1, 2]) }
        #expect(throws: PeerError.unknownMessageType(0)) { try Message.decode([0]) }
        #expect(PeerError.unknownMessageType(0x7F).description == "unknown message type 127")
    }

    @Test func versionMismatchNamesBoth() throws {
        var w = ByteWriter()
        w.bytes.append(Message.Kind.hello.rawValue)
        Message.encodeGreeting(Greeting(replica: Self.a, name: "x", colour: 0, version: VersionVector()), version: 4, into: &w)
        // Anything after the version may have another layout: it is not read.
        w.bytes += [0xFF, 0xFF, 0xFF]
        #expect(throws: PeerError.versionMismatch(theirs: 4, ours: 3)) { try Message.decode(w.bytes) }
        #expect(PeerError.versionMismatch(theirs: 4, ours: 3).description
            == "protocol version 4 is not supported (this Weave speaks version 3)")
    }

    @Test func badMagic() {
        #expect(throws: PeerError.notWeave) { try Message.decode([1, 0x57, 0x56, 0x4F, 0x50, 1]) }
    }

    /// Every proper prefix of every sample is refused with a specific error, never a trap.
    @Test func everyTruncationIsRefused() {
        for m in Self.samples {
            let bytes = m.encode()
            for cut in 0 ..< bytes.count {
                #expect(throws: PeerError.self) { try Message.decode(Array(bytes[0 ..< cut])) }
            }
        }
    }

    /// Flipping any bit never traps: it decodes to something or throws a PeerError.
    @Test func everyBitFlipIsSafe() {
        for m in Self.samples {
            let bytes = m.encode()
            for i in 0 ..< bytes.count * 8 {
                var f = bytes
                f[i / 8] ^= 1 << UInt8(i % 8)
                // Typed: the compiler proves that nothing but a PeerError comes out.
                do throws(PeerError) { _ = try Message.decode(f) } catch { let e: PeerError = error; _ = e.description }
            }
        }
    }

    @Test func trailingBytesAndBadUTF8() throws {
        var bytes = Message.ping(1).encode()
        bytes.append(0)
        #expect(throws: PeerError.malformed(message: "Ping", .trailingBytes(offset: 9))) { try Message.decode(bytes) }
        // Bye with a lone continuation byte as its reason.
        #expect(throws: PeerError.malformed(message: "Bye", .invalidUTF8(offset: 2))) { try Message.decode([8, 1, 0x80]) }
        // Presence cursor flag 3 (0 start, 1 element, 2 departed).
        var p = Message.presence(Presence(replica: Self.a, sequence: 1, name: "", colour: 0, cursor: nil)).encode()
        #expect(p.suffix(9) == [0, 0, 0, 0, 0, 0, 0, 0, 0])  // the selection flag (no selection), then the document (main)
        p.removeLast(9)
        p[p.count - 1] = 3
        #expect(throws: PeerError.malformed(message: "Presence", .valueOutOfRange(offset: p.count - 1, field: "cursor flag"))) { try Message.decode(p + [UInt8](repeating: 0, count: 9)) }
        // Flag 2: the replica departed, and only the document follows.
        p[p.count - 1] = 2
        p += [UInt8](repeating: 0, count: 8)
        #expect(try Message.decode(p) == .presence(Presence(replica: Self.a, sequence: 1, name: "", colour: 0, cursor: nil, departed: true)))
        p.append(0)
        #expect(throws: PeerError.self) { try Message.decode(p) }
        // Selection flag 3 (0 none, 1 start, 2 element).
        var q = Message.presence(Presence(replica: Self.a, sequence: 1, name: "", colour: 0, cursor: nil)).encode()
        q[q.count - 9] = 3
        #expect(throws: PeerError.malformed(message: "Presence", .valueOutOfRange(offset: q.count - 9, field: "selection flag"))) { try Message.decode(q) }
    }

    /// Operations with an empty replica table: refused, not a trap (OpCodec traps on it).
    @Test func operationsWithoutReplicasAreRefused() {
        // Ops, WVOP v1, 0 replicas, 1 operation, 1 byte of metadata (tag 0: replica index follows), no text.
        let bytes: [UInt8] = [4, 0x57, 0x56, 0x4F, 0x50, 1, 0, 1, 2, 0, 0, 0]
        #expect(throws: PeerError.malformed(message: "Ops", .inconsistent("operations but an empty replica table"))) {
            try Message.decode(bytes)
        }
    }

    @Test func longNamesAreCutOnAScalarBoundary() throws {
        let name = String(repeating: "日", count: 200)  // 600 bytes
        let m = Message.hello(Greeting(replica: Self.a, name: name, colour: 0, version: VersionVector()))
        guard case .hello(let g) = try Message.decode(m.encode()) else { Issue.record("not a hello"); return }
        #expect(g.name == String(repeating: "日", count: 85))
    }

    @Test func batcherCutsLongOperationsAndKeepsOrder() throws {
        var doc = RGA(replica: Self.a)
        doc.insert(String(repeating: "x", count: 10), at: 0)
        doc.delete(at: 2, length: 5)
        doc.insert("yz", at: 0)
        let ops = doc.operations(since: VersionVector())
        var batcher = OpBatcher(ops, maxUnits: 3)
        var batches: [[Operation]] = []
        while let b = batcher.next() { batches.append(b) }
        #expect(batches.allSatisfy { $0.reduce(0) { $0 + $1.length } <= 3 })
        var copy = RGA(replica: Self.b)
        for b in batches { try copy.receive(contentsOf: b) }
        #expect(copy.text == doc.text)
        #expect(copy.version == doc.version)
    }

    @Test func backoffDoublesToTheCapWithJitterAndResets() {
        var g = SeededRandom(seed: 7)
        var b = Backoff()
        var ceilings: [Int64] = []
        for _ in 0 ..< 9 {
            let ceiling = b.ceiling.nanoseconds
            ceilings.append(ceiling / 1_000_000)
            let d = b.nextDelay(using: &g).nanoseconds
            #expect(d >= ceiling / 2 && d <= ceiling)
        }
        #expect(ceilings == [100, 200, 400, 800, 1600, 2000, 2000, 2000, 2000])
        b.reset()
        #expect(b.ceiling == .milliseconds(100))
    }
}

@Suite struct FrameDecoderTests {
    func channel(limit: Int = 1 << 20) throws -> EmbeddedChannel {
        let ch = EmbeddedChannel()
        try ch.pipeline.syncOperations.addHandler(FrameDecoder.handler(maxFrameSize: limit))
        return ch
    }

    func read(_ ch: EmbeddedChannel) throws -> [Message] {
        var out: [Message] = []
        while let m = try ch.readInbound(as: Message.self) { out.append(m) }
        return out
    }

    var stream: (bytes: [UInt8], messages: [Message]) {
        let ms = MessageCodecTests.samples
        return (ms.flatMap(frameBytes), ms)
    }

    @Test func byteByByte() throws {
        let ch = try channel()
        var got: [Message] = []
        for byte in stream.bytes {
            try ch.writeInbound(buffer([byte]))
            got += try read(ch)
        }
        #expect(got == stream.messages)
        #expect(try ch.finish().isClean)
    }

    @Test func allAtOnce() throws {
        let ch = try channel()
        try ch.writeInbound(buffer(stream.bytes))
        #expect(try read(ch) == stream.messages)
        #expect(try ch.finish().isClean)
    }

    @Test func oneFramePerBufferAndRandomChunks() throws {
        let ch = try channel()
        for m in stream.messages { try ch.writeInbound(buffer(frameBytes(m))) }
        #expect(try read(ch) == stream.messages)
        var g = SeededRandom(seed: 42)
        let bytes = stream.bytes
        var i = 0
        var got: [Message] = []
        while i < bytes.count {
            let n = min(bytes.count - i, g.int(1 ..< 40))
            try ch.writeInbound(buffer(Array(bytes[i ..< i + n])))
            got += try read(ch)
            i += n
        }
        #expect(got == stream.messages, "seed \(g.seed)")
        #expect(try ch.finish().isClean)
    }

    /// A 4 GiB length prefix is refused from its four bytes alone.
    @Test func fourGigabytePrefixIsRefusedAtOnce() throws {
        let ch = try channel()
        #expect(throws: PeerError.frameTooLarge(length: 0xFFFF_FFFF, limit: 1 << 20)) {
            try ch.writeInbound(buffer([0xFF, 0xFF, 0xFF, 0xFF]))
        }
        _ = try? ch.finish()
    }

    @Test func frameOneByteOverTheLimitIsRefused() throws {
        let ch = try channel(limit: 16)
        #expect(throws: PeerError.frameTooLarge(length: 17, limit: 16)) {
            try ch.writeInbound(buffer([0, 0, 0, 17, 6]))
        }
        _ = try? ch.finish()
        let ok = try channel(limit: 9)
        try ok.writeInbound(buffer(frameBytes(.ping(5))))
        #expect(try read(ok) == [.ping(5)])
    }

    @Test func malformedFramesAreRefused() throws {
        let cases: [([UInt8], PeerError)] = [
            (FrameEncoder.frame([]), .malformed(message: "empty", .truncated(offset: 0, reading: "message type"))),
            (FrameEncoder.frame([0x42]), .unknownMessageType(0x42)),
            (FrameEncoder.frame([6, 1, 2]), .malformed(message: "Ping", .truncated(offset: 3, reading: "ping time"))),
            (FrameEncoder.frame([4, 1, 2, 3]), .malformed(message: "Ops", .badMagic)),
        ]
        for (bytes, error) in cases {
            let ch = try channel()
            #expect(throws: error) { try ch.writeInbound(buffer(bytes)) }
            _ = try? ch.finish()
        }
    }

    /// A History frame's marks must name units that exist: a count of zero, or a
    /// gap or count past 2³² − 1, is refused, never wrapped.
    @Test func historyMarksOutOfRangeAreRefused() {
        func frame(gap: UInt64, count: UInt64) -> [UInt8] {
            var w = ByteWriter()
            w.bytes.append(Message.Kind.history.rawValue)
            w.varint(0)            // no authors
            w.varint(1)            // one group
            w.u64le(7)
            w.varint(1)            // one mark
            w.varint(gap)
            w.varint(count)
            w.varint(0)
            return w.bytes
        }
        #expect(throws: PeerError.self) { try Message.decode(frame(gap: 0, count: 0)) }
        #expect(throws: PeerError.self) { try Message.decode(frame(gap: UInt64(UInt32.max), count: 1)) }
        #expect(throws: PeerError.self) { try Message.decode(frame(gap: .max, count: 1)) }
        #expect(throws: PeerError.self) { try Message.decode(frame(gap: 1, count: UInt64(UInt32.max))) }
        #expect((try? Message.decode(frame(gap: 1, count: 2))) == .history(HistoryNote(marks: [EditMark(replica: ReplicaID(7), start: 1, count: 2, time: 0)])))
    }
}
