import Testing
import WeaveTestSupport
@testable import WeaveCore

/// The run-length element table against the simplest table that is obviously
/// right: one record per counter in a dictionary.
struct ElementTableTests {
    /// What one counter holds, as the oracle keeps it.
    struct Cell: Equatable {
        var group: UInt32
        var seq: UInt32
        var scalar: UInt32
        var deleter: UInt32 = ElementRun.noDeleter
        var deleterSeq: UInt32 = 0
    }

    /// Every counter of `table`, expanded from its runs.
    static func expand(_ table: ElementTable) -> [UInt32: Cell] {
        var out: [UInt32: Cell] = [:]
        for page in table.pages {
            for run in page {
                for k in 0 ..< run.length {
                    out[run.start + k] = Cell(group: run.group, seq: run.seq + k, scalar: run.scalar + k,
                                              deleter: run.deleterReplica,
                                              deleterSeq: run.isDeleted ? run.deleterSeq(k) : 0)
                }
            }
        }
        return out
    }

    /// Appends with gaps (counters spent elsewhere), across page boundaries, with
    /// and without continuing seqs and scalars; moves ranges to other leaves and
    /// deletes ranges going up and down (second deleters reported), as `RGA` does. After every step the table
    /// must hold exactly what the oracle holds, obey its laws, and answer lookups
    /// (present and absent counters) the same way.
    static func run(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var table = ElementTable()
        var oracle: [UInt32: Cell] = [:]
        var present: [UInt32] = []  // the oracle's counters, ascending
        var next: UInt32 = UInt32(rng.int(0 ..< 3000)), seq: UInt32 = 0, scalar: UInt32 = 0
        for step in 0 ..< 300 {
            switch rng.int(0 ..< 10) {
            case 0 ..< 4:  // new elements
                if rng.chance(0.4) { next += UInt32(rng.int(1 ... 700)) }  // a Lamport jump or delete units
                if rng.chance(0.2) { seq += UInt32(rng.int(1 ... 5)) }  // units spent on deletes
                if rng.chance(0.2) { scalar += UInt32(rng.int(1 ... 9)) }  // another replica's scalars in the log
                let n = UInt32(rng.chance(0.7) ? 1 : rng.int(2 ... 1300))
                let group = UInt32(rng.int(0 ..< 3))
                table.append(counter: next, length: n, seq: seq, scalar: scalar, group: group)
                for k in 0 ..< n { oracle[next + k] = Cell(group: group, seq: seq + k, scalar: scalar + k); present.append(next + k) }
                next += n; seq += n; scalar += n
            case 4 ..< 7 where !oracle.isEmpty:  // a range of elements moves to another group
                let (lo, hi) = range(in: oracle, present, &rng)
                let group = UInt32(rng.int(0 ..< 3))
                table.setGroup(group, lo, hi)
                for c in lo ..< hi { oracle[c]!.group = group }
            case 7 ..< 10 where !oracle.isEmpty:  // a range deleted (if not yet), going up or down
                let (lo, hi) = range(in: oracle, present, &rng)
                let deleter = UInt32(rng.int(0 ..< 2)), step: Int8 = rng.chance(0.5) ? 1 : -1
                let first = UInt32(rng.int(1000 ... 2000))
                var extra: [(counter: UInt32, seq: UInt32)] = []
                table.apply(.deleter(replica: deleter, lo: lo, seq: first, step: step), lo, hi, extra: &extra)
                var expected: [(counter: UInt32, seq: UInt32)] = []
                for c in lo ..< hi {
                    let unit = step > 0 ? first &+ (c - lo) : first &- (c - lo)
                    if oracle[c]!.deleter == ElementRun.noDeleter {
                        oracle[c]!.deleter = deleter
                        oracle[c]!.deleterSeq = unit
                    } else {
                        expected.append((c, unit))
                    }
                }
                #expect(extra.map(\.counter) == expected.map(\.counter) && extra.map(\.seq) == expected.map(\.seq),
                        "seed \(seed), step \(step): second deleters")
            default:
                continue
            }
            if let broken = table.violation() {
                Issue.record("seed \(seed), step \(step): \(broken)")
                return
            }
            guard expand(table) == oracle else {
                Issue.record("seed \(seed), step \(step): the table differs from the oracle")
                return
            }
            for _ in 0 ..< 20 {
                let c = UInt32(rng.int(0 ... Int(next) + 10))
                #expect((table.run(holding: c) != nil) == (oracle[c] != nil), "seed \(seed), step \(step): lookup of \(c)")
            }
        }
    }

    /// A range of consecutive elements (all present), within one run of the oracle's counters.
    static func range(in oracle: [UInt32: Cell], _ present: [UInt32], _ rng: inout SeededRandom) -> (UInt32, UInt32) {
        var lo = present[rng.int(0 ..< present.count)]
        var hi = lo + 1
        let want = rng.chance(0.5) ? 1 : rng.int(1 ... 2500)
        while hi - lo < want, oracle[hi] != nil { hi += 1 }
        if rng.chance(0.3) { while lo > 0, oracle[lo - 1] != nil, hi - lo < want * 2 { lo -= 1 } }
        return (lo, hi)
    }

    @Test("matches a per-counter dictionary", arguments: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] as [UInt64])
    func matchesTheOracle(seed: UInt64) { Self.run(seed: seed) }

    @Test("a single element's deleter joins a run going either way")
    func singleDeletersJoinEitherWay() {
        let a = ElementRun(start: 10, length: 1, group: 0, seq: 3, scalar: 7, deleterReplica: 1, deleterSeq: 50)
        var b = ElementRun(start: 11, length: 1, group: 0, seq: 4, scalar: 8, deleterReplica: 1, deleterSeq: 49)
        #expect(ElementRun.joined(a, b)?.deleterStep == -1)
        b.deleterSeq = 51
        #expect(ElementRun.joined(a, b)?.deleterStep == 1)
        b.deleterSeq = 52
        #expect(ElementRun.joined(a, b) == nil)
        b.deleterSeq = 51; b.deleterReplica = 2
        #expect(ElementRun.joined(a, b) == nil, "another deleter")
        b.deleterReplica = 1; b.scalar = 9
        #expect(ElementRun.joined(a, b) == nil, "scalars not consecutive in the log")
    }
}

/// What the tables cost for the editing that matters: memory must follow runs,
/// not units.
struct ElementTableCompactnessTests {
    @Test("stored records have the sizes their doc comments promise")
    func recordSizes() {
        #expect(MemoryLayout<ElementRun>.stride == 28)
        #expect(MemoryLayout<Span>.stride == 16)
        #expect(MemoryLayout<OperationLog.Entry>.stride == 28)
        #expect(MemoryLayout<OperationLog.StoredRun>.stride == 12)
    }

    @Test("a typed burst backspaced away is one run and one span")
    func typedBurstThenBackspaced() throws {
        var doc = RGA(replica: ReplicaID(7))
        for k in 0 ..< 40 { doc.insert([Unicode.Scalar(UInt8(97 + k % 26))], at: k) }
        for k in (0 ..< 40).reversed() { doc.delete(at: k, length: 1) }
        try doc.checkInvariants()
        #expect(doc.text == "")
        #expect(doc.replicas[0].elements.runCount == 1)
        #expect(doc.spanCount == 1)
    }

    @Test("counters spent on deletes and on other replicas' edits take no room")
    func gapsCostNothing() throws {
        var a = RGA(replica: ReplicaID(1)), b = RGA(replica: ReplicaID(2))
        var rng = SeededRandom(seed: 11)
        for _ in 0 ..< 200 {
            // b types a burst at the end and deletes part of it; a types its own burst and hears b's.
            let burst = rng.int(5 ... 30)
            let start = b.count
            var ops: [Operation] = []
            for k in 0 ..< burst { ops.append(b.insert([Unicode.Scalar(UInt8(97 + k % 26))], at: start + k)!) }
            ops.append(b.delete(at: start, length: rng.int(1 ... burst))!)
            let at = a.count
            for k in 0 ..< burst { a.insert([Unicode.Scalar(UInt8(65 + k % 26))], at: at + k) }
            try a.receive(contentsOf: ops)
        }
        try a.checkInvariants()
        // Each of a's bursts continues its typing span and its element run; the
        // Lamport jumps from b's operations and b's delete counters leave no slots.
        let bSlot = a.slot(of: ReplicaID(2))!
        // (A leaf split can cut a run in two.)
        #expect(a.replicas[0].elements.runCount <= 200 + a.leafLen.count)
        #expect(a.replicas[bSlot].elements.runCount <= 400 + a.leafLen.count, "each burst is at most a deleted and a visible run")
        #expect(a.memoryUsage.elements < 64 * 1024, "\(a.memoryUsage.elements) bytes of element tables for \(a.elementCount) elements")
    }
}
