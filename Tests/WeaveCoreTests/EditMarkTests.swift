import Testing
import WeaveTestSupport
@testable import WeaveCore

/// MarkTable's laws against a plain model (one optional mark per unit), and
/// split's: its pieces concatenate to the batch, each piece lies under one mark
/// (or none) and carries that mark's time.
struct EditMarkTests {
    static let r1 = ReplicaID(1), r2 = ReplicaID(2)

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func insertAndLookupMatchAPlainModel(seed fixed: UInt64) {
        let seed = TestSeed.pick(fixed)
        var g = SeededRandom(seed: seed)
        var table = MarkTable()
        // The model: for each replica and unit, the mark covering it.
        var model: [ReplicaID: [UInt32: EditMark]] = [:]
        for _ in 0 ..< 400 {
            let r = g.chance(0.5) ? Self.r1 : Self.r2
            let start = UInt32(g.int(0 ..< 300)), count = UInt32(g.int(0 ... 12))
            let m = EditMark(replica: r, start: start, count: count, time: Int64(g.int(0 ..< 1000)))
            let free = count > 0 && (start ..< start + count).allSatisfy { model[r]?[$0] == nil }
            #expect(table.insert(m) == free, "seed \(seed): \(m)")
            if free { for u in start ..< start + count { model[r, default: [:]][u] = m } }
        }
        for r in [Self.r1, Self.r2] {
            for u in UInt32(0) ..< 320 {
                #expect(table.mark(containing: u, of: r) == model[r]?[u], "seed \(seed): unit \(u) of \(r)")
            }
            let lo = UInt32(g.int(0 ..< 300)), hi = lo + UInt32(g.int(1 ... 40))
            let expected = Set((lo ..< hi).compactMap { model[r]?[$0] })
            let got = table.marks(of: r, from: lo, to: hi)
            #expect(Set(got) == expected && got.count == expected.count, "seed \(seed)")
            #expect(got == got.sorted { $0.start < $1.start })
        }
        #expect(table.count == Set(model.values.flatMap(\.values)).count)
    }

    @Test(arguments: [UInt64(7), 8, 9])
    func splitCutsABatchIntoItsAuthorsEdits(seed fixed: UInt64) throws {
        let seed = TestSeed.pick(fixed)
        var g = SeededRandom(seed: seed)
        // Two authors type and delete; each local edit is marked (as a hub does).
        var a = RGA(replica: Self.r1), b = RGA(replica: Self.r2)
        var table = MarkTable()
        var time: Int64 = 1_000
        for _ in 0 ..< 60 {
            time += Int64(g.int(0 ..< 5_000))
            var doc = g.chance(0.5) ? a : b
            let op: Operation?
            if doc.count > 3, g.chance(0.3) {
                let at = g.int(0 ..< doc.count - 1)
                op = doc.delete(at: at, length: min(doc.count - at, g.int(1 ... 3)))
            } else {
                op = doc.insert(g.text(g.int(1 ... 6)), at: g.int(0 ... doc.count))
            }
            if let op {
                table.insert(EditMark(replica: op.replica, start: op.seq, count: UInt32(op.length), time: time))
                if doc.localReplica == Self.r1 { try b.receive(op) } else { try a.receive(op) }
            }
            if doc.localReplica == Self.r1 { a = doc } else { b = doc }
        }
        // The batch as a catch-up sends it: coalesced operations, which straddle marks.
        let batch = a.operations(since: VersionVector())
        let pieces = table.split(batch, fallbackTime: -1)
        // Law 1: the pieces are the batch, unit for unit, in order.
        var replay = RGA(replica: ReplicaID(9))
        for p in pieces { try replay.receive(contentsOf: p.ops) }
        #expect(replay.text == a.text, "seed \(seed)")
        let units = { (ops: [Operation]) in ops.flatMap { op in (0 ..< UInt32(op.length)).map { (op.replica, op.seq + $0) } } }
        #expect(units(pieces.flatMap(\.ops)).map { "\($0.0)-\($0.1)" } == units(batch).map { "\($0.0)-\($0.1)" })
        // Law 2: each piece lies under exactly one mark and carries its time.
        for p in pieces {
            let marks = Set(units(p.ops).map { table.mark(containing: $0.1, of: $0.0) })
            #expect(marks.count == 1, "seed \(seed): a piece spans \(marks.count) marks")
            #expect(marks.first??.time == p.time)
        }
        // Every mark's units are covered, and a batch with no marks stays one edit.
        #expect(Set(pieces.map(\.time)).count <= table.count)
        let unmarked = MarkTable().split(batch, fallbackTime: 42)
        #expect(unmarked.count == 1 && unmarked[0].time == 42)
    }
}
