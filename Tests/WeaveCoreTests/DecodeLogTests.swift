import Testing
import WeaveTestSupport
@testable import WeaveCore

/// `OpCodec.decodeLog` and `RGA.receive(contentsOf: OperationLog)`, the
/// compact load path, against the path they replace: `OpCodec.decode` to an
/// array of operations, appended to a log one by one and received one by one.
struct DecodeLogTests {
    /// The log appending `ops` one by one makes (the oracle for `decodeLog`).
    static func joined(_ ops: [Operation]) -> OperationLog {
        var log = OperationLog()
        for op in ops { log.append(op) }
        return log
    }

    /// A random concurrent history: three replicas typing, pasting and
    /// deleting (forwards and backwards) at random places and exchanging
    /// their operations at random moments. Returns the first replica.
    static func history(_ rng: inout SeededRandom, steps: Int) -> RGA {
        var replicas = [RGA(replica: ReplicaID(0xA)), RGA(replica: ReplicaID(0xB)), RGA(replica: ReplicaID(UInt64.max))]
        for _ in 0 ..< steps {
            let i = rng.int(0 ..< replicas.count)
            if rng.chance(0.15) {
                let j = rng.int(0 ..< replicas.count)
                try! replicas[i].receive(contentsOf: replicas[j].operations(since: replicas[i].version))
                continue
            }
            let n = replicas[i].count
            if n > 0 && rng.chance(0.35) {
                let at = rng.int(0 ..< n)
                let length = rng.int(1 ... min(n - at, 6))
                if rng.chance(0.5) {
                    replicas[i].delete(at: at, length: length)
                } else {
                    // Backspace, one at a time (a backward run).
                    for k in 0 ..< length { replicas[i].delete(at: at + length - 1 - k, length: 1) }
                }
            } else {
                let at = rng.int(0 ... n)
                let text = rng.text(rng.chance(0.1) ? rng.int(10 ... 60) : rng.int(1 ... 3))
                // Typing: one scalar at a time, each after the one before.
                if rng.chance(0.5) {
                    for (k, s) in text.enumerated() { replicas[i].insert([s], at: at + k) }
                } else {
                    replicas[i].insert(text, at: at)
                }
            }
        }
        for j in 1 ..< replicas.count { try! replicas[0].receive(contentsOf: replicas[j].operations(since: replicas[0].version)) }
        return replicas[0]
    }

    /// Random cuts of `ops` (each operation split at random units), so the
    /// encoded list holds operations the log joins again.
    static func cut(_ ops: [Operation], _ rng: inout SeededRandom) -> [Operation] {
        var out: [Operation] = []
        for op in ops {
            var from = 0
            while from < op.length {
                let to = rng.chance(0.5) ? op.length : rng.int(from + 1 ... op.length)
                out.append(op.slice(from, to))
                from = to
            }
        }
        return out
    }

    @Test(arguments: 0 ..< 12) func decodesRandomHistoriesAsTheArrayPathDoes(seed: Int) throws {
        var rng = SeededRandom(seed: TestSeed.pick(UInt64(seed)))
        let source = Self.history(&rng, steps: rng.int(20 ... 300))
        let ops = Self.cut(Array(source.log), &rng)
        let bytes = OpCodec.encode(ops)

        var seen: [(ReplicaID, UInt32, Int)] = []
        let log = try OpCodec.decodeLog(ByteReader(bytes)) { seen.append(($0, $1, $2)) }
        let decoded = try OpCodec.decode(bytes)
        #expect(Array(log) == Array(Self.joined(decoded)), "seed \(rng.seed)")
        #expect(seen.map(\.0) == decoded.map(\.replica) && seen.map(\.1) == decoded.map(\.seq)
                && seen.map(\.2) == decoded.map(\.length), "seed \(rng.seed)")

        // The document from the compact log equals the one from the operations.
        var fromLog = RGA(replica: ReplicaID(7)), fromOps = RGA(replica: ReplicaID(7))
        try fromLog.receive(contentsOf: log)
        try fromOps.receive(contentsOf: decoded)
        try fromLog.checkInvariants()
        #expect(fromLog.text == fromOps.text && fromLog.text == source.text, "seed \(rng.seed)")
        #expect(Array(fromLog.log) == Array(fromOps.log), "seed \(rng.seed)")
        #expect(fromLog.version == source.version, "seed \(rng.seed)")
        #expect(fromLog.visibleScalars == source.visibleScalars, "seed \(rng.seed)")

        // Received in two parts (a history of two records) it is the same again.
        let half = rng.int(0 ... ops.count)
        var parts = RGA(replica: ReplicaID(7))
        try parts.receive(contentsOf: try OpCodec.decodeLog(OpCodec.encode(Array(ops[..<half]))))
        try parts.receive(contentsOf: try OpCodec.decodeLog(OpCodec.encode(Array(ops[half...]))))
        try parts.checkInvariants()
        #expect(parts.text == source.text && Array(parts.log) == Array(fromOps.log), "seed \(rng.seed)")

        // Appending decoded logs one after another is the joined log of all.
        var appended = try OpCodec.decodeLog(OpCodec.encode(Array(ops[..<half])))
        appended.append(contentsOf: try OpCodec.decodeLog(OpCodec.encode(Array(ops[half...]))))
        #expect(Array(appended) == Array(Self.joined(ops)), "seed \(rng.seed)")
    }

    /// Whether an operation list holds something `decodeLog` refuses and
    /// `decode` does not: an operation with no units, a deleted run of length 0.
    static func hasEmpty(_ ops: [Operation]) -> Bool {
        ops.contains { op in
            if op.length == 0 { return true }
            if case .delete(let runs) = op.body { return runs.contains { $0.length == 0 } }
            return false
        }
    }

    /// Every truncation and byte flip of an encoded history: `decodeLog`
    /// throws exactly when `decode` does (or the operations hold an empty
    /// one), and when both decode, they give the same log.
    @Test(arguments: 0 ..< 3) func damagedBytesDecodeAsTheArrayPathDoes(seed: Int) throws {
        var rng = SeededRandom(seed: TestSeed.pick(UInt64(100 + seed)))
        let source = Self.history(&rng, steps: 40)
        let bytes = OpCodec.encode(Self.cut(Array(source.log), &rng))
        func compare(_ b: [UInt8], _ what: String) {
            let old = try? OpCodec.decode(b)
            let new = try? OpCodec.decodeLog(b)
            if let old, !Self.hasEmpty(old) {
                #expect(new.map { Array($0) } == Array(Self.joined(old)), "\(what), seed \(rng.seed)")
            } else {
                #expect(new == nil, "\(what), seed \(rng.seed)")
            }
        }
        for cut in 0 ... bytes.count { compare(Array(bytes[0 ..< cut]), "cut at \(cut)") }
        compare(bytes + [0], "a byte added")
        for i in 0 ..< bytes.count {
            for bit in 0 ..< 8 {
                var b = bytes
                b[i] ^= 1 << bit
                compare(b, "bit \(bit) of byte \(i) flipped")
            }
        }
    }

    /// Random operation lists, valid or not: `decodeLog` agrees with `decode`,
    /// and receiving the log fails or gives the text that receiving the
    /// operations does.
    @Test(arguments: 0 ..< 20) func randomOperationListsDecodeAndApplyAlike(seed: Int) throws {
        var rng = SeededRandom(seed: TestSeed.pick(UInt64(200 + seed)))
        var ops: [Operation] = []
        var seqs: [UInt64: UInt32] = [:]
        for _ in 0 ..< 60 {
            let id = UInt64(rng.int(1 ..< 4))
            let seq = rng.chance(0.8) ? seqs[id, default: 0] : UInt32(rng.int(0 ... 50))
            let body: Operation.Body
            if rng.chance(0.6) {
                let after: ElementID? = rng.chance(0.2) ? nil : ElementID(counter: UInt32(rng.int(0 ... 80)), replica: ReplicaID(UInt64(rng.int(1 ..< 4))))
                body = .insert(after: after, text: rng.text(rng.int(1 ... 5)))
            } else {
                body = .delete((0 ..< rng.int(1 ... 3)).map { _ in
                    DeletedRun(start: ElementID(counter: UInt32(rng.int(0 ... 80)), replica: ReplicaID(UInt64(rng.int(1 ..< 4)))),
                               length: UInt32(rng.int(1 ... 4)), backward: rng.chance(0.5))
                })
            }
            let op = Operation(replica: ReplicaID(id), seq: seq, counter: UInt32(rng.int(0 ... 100)), body: body)
            seqs[id] = op.seqEnd
            ops.append(op)
        }
        let bytes = OpCodec.encode(ops)
        let log = try OpCodec.decodeLog(bytes)
        #expect(Array(log) == Array(Self.joined(ops)), "seed \(rng.seed)")
        var a = RGA(replica: ReplicaID(9)), b = RGA(replica: ReplicaID(9))
        let aFailed = (try? a.receive(contentsOf: log)) == nil
        let bFailed = (try? b.receive(contentsOf: Array(Self.joined(ops)))) == nil
        #expect(aFailed == bFailed, "seed \(rng.seed)")
        if !aFailed {
            try a.checkInvariants()
            #expect(a.text == b.text && a.version == b.version && a.pendingCount == b.pendingCount, "seed \(rng.seed)")
        }
    }

    @Test func aFileTextIsSharedFromTheRecordIntoTheDocument() throws {
        // One insert of a whole text (a file opened once): the document's log
        // and its visible text are the decoded storage itself.
        let text = ScalarArray(String(repeating: "line of text\n", count: 1000))
        var doc = RGA(replica: ReplicaID(1))
        doc.insertUnreported(text, at: 0)
        let log = try OpCodec.decodeLog(OpCodec.encode(doc.log))
        var loaded = RGA(replica: ReplicaID(2))
        try loaded.receive(contentsOf: log)
        #expect(loaded.visibleScalars == text)
        let shared = loaded.visibleScalars.withUnsafeValues(0 ..< 1) { a, _ in
            log.scalars.withUnsafeValues(0 ..< 1) { b, _ in a.baseAddress == b.baseAddress }
        }
        #expect(shared)
    }

    @Test func equalsUTF8ComparesByteForByte() {
        for s in ["", "abc", "héllo", "日本語🙂 x", String(repeating: "é", count: 70_000)] {
            let a = ScalarArray(s)
            let utf8 = Array(s.utf8)
            #expect(utf8.withUnsafeBytes { a.equalsUTF8($0) }, "\(s.prefix(10))")
            var other = utf8
            if !other.isEmpty {
                other[other.count - 1] ^= 1
                #expect(!other.withUnsafeBytes { a.equalsUTF8($0) })
            }
            #expect(!(utf8 + [0x61]).withUnsafeBytes { a.equalsUTF8($0) })
            var chunks: [UInt8] = []
            a.forEachUTF8Chunk { chunks.append(contentsOf: $0) }
            #expect(chunks == utf8)
        }
    }
}
