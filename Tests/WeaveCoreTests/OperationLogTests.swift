import Testing
import WeaveTestSupport
@testable import WeaveCore

/// The compact log against the simplest log that is obviously right: an array of
/// `Operation`s where each applied operation is joined to the last one when
/// `canAppend` allows, as the log was kept before it was stored compactly.
struct OperationLogTests {
    /// The reference: append, or join onto the last entry.
    static func record(_ op: Operation, in log: inout [Operation]) {
        if let last = log.last, last.canAppend(op) { log[log.count - 1].append(op) } else { log.append(op) }
    }

    /// Three replicas type (runs and single keys, forward and backward), delete
    /// with Delete and Backspace, and now and then merge everything the others
    /// have; every replica's log must equal its reference log at every merge.
    static func run(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var docs = (0 ..< 3).map { RGA(replica: ReplicaID(UInt64($0) &* 0x51ED_2701 &+ 5)) }
        var reference = Array(repeating: [Operation](), count: 3)
        var cursors = [0, 0, 0]
        for round in 0 ..< 400 {
            let i = rng.int(0 ..< 3)
            let n = docs[i].count
            cursors[i] = min(cursors[i], n)
            let op: Operation?
            switch rng.int(0 ..< 10) {
            case 0 ..< 4:  // typing at the cursor
                op = docs[i].insert(rng.text(rng.chance(0.8) ? 1 : rng.int(2 ... 6)), at: cursors[i])
                cursors[i] += op?.length ?? 0
            case 4:  // typing elsewhere
                cursors[i] = rng.int(0 ... n)
                op = docs[i].insert(rng.text(1), at: cursors[i])
                cursors[i] += 1
            case 5 ..< 7 where cursors[i] > 0:  // Backspace
                cursors[i] -= 1
                op = docs[i].delete(at: cursors[i], length: 1)
            case 7 where cursors[i] < n:  // Delete key
                op = docs[i].delete(at: cursors[i], length: rng.int(1 ... min(3, n - cursors[i])))
            case 8 where n > 0:  // a selection deleted
                let at = rng.int(0 ..< n)
                op = docs[i].delete(at: at, length: rng.int(1 ... min(8, n - at)))
            default:  // merge from another replica
                let j = (i + rng.int(1 ... 2)) % 3
                let missing = docs[j].operations(since: docs[i].version)
                try docs[i].receive(contentsOf: missing)
                for m in missing { record(m, in: &reference[i]) }
                op = nil
            }
            if let op { record(op, in: &reference[i]) }
            let log = docs[i].log
            #expect(Array(log) == reference[i], "seed \(seed), round \(round): replica \(i)'s log differs from the reference")
            #expect(log.count == reference[i].count, "seed \(seed), round \(round)")
            try docs[i].checkInvariants()
        }
        // Every replica's log, read back, rebuilds it.
        for i in 0 ..< 3 {
            var copy = RGA(replica: ReplicaID(999))
            try copy.receive(contentsOf: docs[i].log)
            #expect(copy.text == docs[i].text, "seed \(seed): replaying replica \(i)'s log")
            #expect(try OpCodec.decode(OpCodec.encode(docs[i].log)) == reference[i], "seed \(seed)")
        }
    }

    @Test(arguments: [1, 2, 3, 42, 2024] as [UInt64])
    func matchesTheJoiningArray(seed: UInt64) throws { try Self.run(seed: seed) }

    @Test func joinsTypingAndBackspaceIntoOneEntryEach() throws {
        var d = RGA(replica: ReplicaID(7))
        for (k, s) in "hello".unicodeScalars.enumerated() { d.insert([s], at: k) }
        for p in stride(from: 4, through: 2, by: -1) { d.delete(at: p, length: 1) }
        #expect(d.log.count == 2)
        #expect(d.log[0] == Operation(replica: ReplicaID(7), seq: 0, counter: 0,
                                      body: .insert(after: nil, text: Array("hello".unicodeScalars))))
        #expect(d.log[1] == Operation(replica: ReplicaID(7), seq: 5, counter: 5,
                                      body: .delete([DeletedRun(start: ElementID(counter: 4, replica: ReplicaID(7)), length: 3, backward: true)])))
    }

    @Test func memoryUsageCountsTheLogAndThePendingBuffer() throws {
        var a = RGA(replica: ReplicaID(1)), b = RGA(replica: ReplicaID(2))
        for k in 0 ..< 100 { a.insert([Unicode.Scalar(UInt8(97 + k % 26))], at: k % 3 == 0 ? 0 : a.count) }
        let usage = a.memoryUsage
        // At least one 28-byte entry per operation and 4 bytes per scalar, and each
        // operation's 4-byte index.
        #expect(usage.history >= a.log.count * (28 + 4) + 100 * 4)
        #expect(usage.total == a.estimatedMemoryBytes)
        #expect(usage.pending == 0)
        // An operation whose predecessor has not arrived waits, and is counted.
        let ops = a.operations(since: VersionVector())
        try b.receive(ops[1])
        #expect(b.pendingCount == 1)
        #expect(b.memoryUsage.pending >= 32 + ops[1].length * 4)
    }
}
