import Testing
import WeaveTestSupport
@testable import WeaveCore

struct CodecTests {
    func sampleLog() -> [Operation] {
        var a = RGA(replica: A), b = RGA(replica: ReplicaID(UInt64.max))
        a.insert("héllo 日本 🙂", at: 0)
        _ = try? b.receive(contentsOf: a.log)
        b.insert("X", at: 3)
        a.delete(at: 2, length: 3)
        for p in stride(from: 5, through: 3, by: -1) { a.delete(at: p, length: 1) }
        _ = try? a.receive(contentsOf: b.operations(since: a.version))
        a.insert("end", at: a.count)
        return Array(a.log)
    }

    @Test func roundTripsExactly() throws {
        let log = sampleLog()
        #expect(log.count >= 4)
        #expect(try OpCodec.decode(OpCodec.encode(log)) == log)
        #expect(try OpCodec.decode(OpCodec.encode([])) == [])
    }

    @Test(arguments: 0 ..< 20) func roundTripsRandomOperations(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed))
        var ops: [Operation] = []
        for _ in 0 ..< 50 {
            let replica = ReplicaID(rng.next() % 4 == 0 ? UInt64.max : UInt64(rng.int(0 ..< 5)))
            let body: Operation.Body
            if rng.chance(0.5) {
                let after: ElementID? = rng.chance(0.2) ? nil : ElementID(counter: UInt32(rng.int(0 ... 1000)), replica: ReplicaID(UInt64(rng.int(0 ..< 5))))
                body = .insert(after: after, text: rng.text(rng.int(0 ... 5)))
            } else {
                body = .delete((0 ..< rng.int(0 ... 3)).map { _ in
                    DeletedRun(start: ElementID(counter: UInt32(rng.int(0 ... 100_000)), replica: ReplicaID(UInt64(rng.int(0 ..< 5)))),
                               length: UInt32(rng.int(1 ... 9)), backward: rng.chance(0.5))
                })
            }
            ops.append(Operation(replica: replica, seq: UInt32(rng.int(0 ... 5000)), counter: UInt32(rng.int(0 ... 1_000_000)), body: body))
        }
        #expect(try OpCodec.decode(OpCodec.encode(ops)) == ops, "seed \(seed)")
    }

    @Test func refusesBadMagicAndNewerVersions() {
        var bytes = OpCodec.encode(sampleLog())
        bytes[0] = 0
        #expect(throws: DecodeError.badMagic) { try OpCodec.decode(bytes) }
        bytes = OpCodec.encode(sampleLog())
        bytes[4] = 9
        #expect(throws: DecodeError.unsupportedVersion(found: 9, supported: 1)) { try OpCodec.decode(bytes) }
        #expect(DecodeError.unsupportedVersion(found: 9, supported: 1).description.contains("version 9"))
    }

    /// Every truncation and every single flipped byte either decodes to
    /// something or throws a DecodeError: never a trap.
    @Test func everyTruncationAndBitFlipIsAnErrorNotACrash() {
        let bytes = OpCodec.encode(sampleLog())
        for cut in 0 ..< bytes.count {
            #expect(throws: DecodeError.self) { try OpCodec.decode(Array(bytes[0 ..< cut])) }
        }
        #expect(throws: DecodeError.trailingBytes(offset: bytes.count)) { try OpCodec.decode(bytes + [0]) }
        for i in 0 ..< bytes.count {
            for bit in 0 ..< 8 {
                var b = bytes
                b[i] ^= 1 << bit
                do { _ = try OpCodec.decode(b) } catch { _ = error.description }
            }
        }
    }

    @Test func overlongVarintsAndInvalidUTF8AreNamed() {
        var r = ByteReader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
        #expect(throws: DecodeError.varintTooLong(offset: 0)) { try r.varint("x") }
        var u = ByteReader([0x61, 0xc0, 0x80])
        #expect(throws: DecodeError.invalidUTF8(offset: 1)) { try u.utf8(count: 2, "text") }
        var s = ByteReader([0xed, 0xa0, 0x80])  // a surrogate
        #expect(throws: DecodeError.invalidUTF8(offset: 0)) { try s.utf8(count: 1, "text") }
    }
}
