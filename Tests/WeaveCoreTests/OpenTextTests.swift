import Testing
import WeaveTestSupport
@testable import WeaveCore

/// Opening a file's text: one `insertUnreported(ScalarArray)` into an empty
/// document, its log encoded straight from the log (`OpCodec.encode(_:entries:into:)`),
/// and the document's text shared with the editor (`visibleScalars`). Each
/// must be what the operation-by-operation path gives.
struct OpenTextTests {
    /// A file's text as scalars of every width (ASCII mostly).
    static func fileText(_ rng: inout SeededRandom, _ n: Int) -> [Unicode.Scalar] {
        (0 ..< n).map { _ in ScalarArrayTests.scalar(&rng, wide: rng.chance(0.5) ? 0 : 0.1) }
    }

    /// Insert the text as a `ScalarArray`, then edit on with random typing,
    /// deletes and a second replica's merged edits: at every step the text,
    /// the visible scalars and the invariants agree with a document that got
    /// the same text as an array of scalars.
    @Test(arguments: [21, 22, 23, 24, 25, 26] as [UInt64])
    func aTextInsertedWholeEditsAsAnArrayDoes(seed: UInt64) throws {
        var rng = SeededRandom(seed: TestSeed.pick(seed))
        let text = Self.fileText(&rng, rng.int(1 ... 400))
        let a = ReplicaID(7), b = ReplicaID(9)
        var compact = RGA(replica: a), plain = RGA(replica: a)
        compact.insertUnreported(ScalarArray(text), at: 0)
        plain.insertUnreported(text, at: 0)
        // The log took the text's storage as it is.
        #expect(compact.visibleScalars == text, "seed \(rng.seed)")
        #expect(Array(compact.log) == Array(plain.log), "seed \(rng.seed): the logs differ")
        #expect(OpCodec.encode(compact.log) == OpCodec.encode(Array(plain.log)), "seed \(rng.seed): the encodings differ")
        var other = RGA(replica: b)
        try other.receive(contentsOf: Array(compact.log))
        for step in 0 ..< 60 {
            let context = "seed \(rng.seed) step \(step)"
            let n = compact.count
            switch rng.int(0 ..< 4) {
            case 0, 1:
                let p = rng.int(0 ... n), s = rng.text(rng.int(1 ... 4))
                compact.insertUnreported(s, at: p); plain.insertUnreported(s, at: p)
            case 2 where n > 0:
                let p = rng.int(0 ..< n), k = rng.int(1 ... min(5, n - p))
                compact.deleteUnreported(at: p, length: k); plain.deleteUnreported(at: p, length: k)
            default:
                let p = rng.int(0 ... other.count)
                _ = other.insert(rng.text(rng.int(1 ... 3)), at: p)
                if other.count > 2 { _ = other.delete(at: rng.int(0 ..< other.count - 1), length: 1) }
                let missing = other.operations(since: compact.version)
                try compact.receive(contentsOf: missing)
                try plain.receive(contentsOf: missing)
            }
            try compact.checkInvariants()
            #expect(compact.scalars == plain.scalars, "\(context): text")
            #expect(compact.visibleScalars == plain.scalars, "\(context): visibleScalars")
            #expect(compact.text == plain.text, "\(context): text as a String")
            #expect(Array(compact.log) == Array(plain.log), "\(context): logs")
        }
    }

    /// The log's encoding of any stretch of its entries is the encoding of
    /// those operations built one by one, on random concurrent histories.
    @Test(arguments: [31, 32, 33, 34] as [UInt64])
    func encodingFromTheLogEqualsEncodingItsOperations(seed: UInt64) throws {
        var rng = SeededRandom(seed: TestSeed.pick(seed))
        var docs = (0 ..< 3).map { RGA(replica: ReplicaID(UInt64($0) &* 0x9E37 &+ 3)) }
        for _ in 0 ..< 200 {
            let i = rng.int(0 ..< 3)
            let n = docs[i].count
            switch rng.int(0 ..< 5) {
            case 0, 1: _ = docs[i].insert(rng.text(rng.int(1 ... 5)), at: rng.int(0 ... n))
            case 2 where n > 0:
                let p = rng.int(0 ..< n)
                _ = docs[i].delete(at: p, length: rng.int(1 ... min(4, n - p)))
            default:
                let j = rng.int(0 ..< 3)
                try docs[i].receive(contentsOf: docs[j].operations(since: docs[i].version))
            }
        }
        for d in docs {
            let ops = Array(d.log)
            for _ in 0 ..< 20 {
                let lo = rng.int(0 ... ops.count), hi = rng.int(lo ... ops.count)
                var out: [UInt8] = [0xAB]  // appends after what is there
                OpCodec.encode(d.log, entries: lo ..< hi, into: &out)
                #expect(out == [0xAB] + OpCodec.encode(Array(ops[lo ..< hi])), "seed \(rng.seed): entries \(lo)..<\(hi)")
                #expect(try OpCodec.decode(Array(out.dropFirst())) == Array(ops[lo ..< hi]), "seed \(rng.seed)")
            }
        }
    }

    /// A big ASCII text is held at one byte a scalar, shared by the log and
    /// `visibleScalars`, and counts in `memoryUsage` as such.
    @Test func aBigAsciiTextIsHeldOnceAtOneByteAScalar() throws {
        let line = Array("the quick brown fox jumps over the lazy dog\n".utf8)
        var bytes: [UInt8] = []
        while bytes.count < 1 << 20 { bytes += line }
        let text = try ScalarArray.decoding(utf8: bytes)
        var doc = RGA(replica: ReplicaID(1))
        doc.insertUnreported(text, at: 0)
        let shown = doc.visibleScalars
        let shared = shown.withUnsafeValues(shown.indices) { raw, _ in bytes.withUnsafeBytes { $0.baseAddress == raw.baseAddress } }
        #expect(shared && shown.width == 1)
        #expect(doc.memoryUsage.history < bytes.count + (1 << 16), "\(doc.memoryUsage.history) bytes of history for \(bytes.count) bytes of text")
        try doc.checkInvariants()
    }
}
