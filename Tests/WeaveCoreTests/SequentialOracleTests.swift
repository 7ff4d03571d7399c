import Testing
import WeaveTestSupport
@testable import WeaveCore

/// One replica, 10,000 random edits, compared with an `[Unicode.Scalar]` after
/// every edit, with invariants checked along the way.
struct SequentialOracleTests {
    @Test(arguments: [7, 8]) func tenThousandEditsMatchAnArray(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed))
        var doc = RGA(replica: A)
        var oracle: [Unicode.Scalar] = []
        for step in 0 ..< 10_000 {
            if oracle.isEmpty || rng.chance(0.6) {
                let text = rng.text(rng.chance(0.9) ? 1 : rng.int(2 ... 40))
                let pos = rng.chance(0.5) ? oracle.count : rng.int(0 ... oracle.count)
                doc.insert(text, at: pos)
                oracle.insert(contentsOf: text, at: pos)
            } else {
                let len = min(rng.chance(0.8) ? 1 : rng.int(1 ... 30), oracle.count)
                let pos = rng.int(0 ... oracle.count - len)
                doc.delete(at: pos, length: len)
                oracle.removeSubrange(pos ..< pos + len)
            }
            #expect(doc.count == oracle.count, "seed \(seed) step \(step)")
            if step % 500 == 0 || step < 200 {
                #expect(doc.scalars == oracle, "seed \(seed) step \(step)")
                try doc.checkInvariants()
            }
        }
        #expect(doc.scalars == oracle, "seed \(seed)")
        try doc.checkInvariants()
        // Every visible index maps to an ID and back.
        for i in stride(from: 0, to: oracle.count, by: max(1, oracle.count / 200)) {
            let id = doc.id(at: i)
            #expect(doc.index(of: id)! == (i, true))
            #expect(doc.scalar(of: id) == oracle[i])
        }
    }
}
