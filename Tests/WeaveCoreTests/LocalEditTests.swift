import Testing
import WeaveTestSupport
@testable import WeaveCore

/// Local edits as a person makes them (typing runs at a cursor, Backspace,
/// Delete, jumps, pastes, selections deleted), through both local APIs: the one
/// that returns the operation for peers and the unreported one replays use.
/// They must be the same edit: same text as a plain array after every step,
/// the same log, and operations that rebuild the text on a fresh replica.
struct LocalEditTests {
    @Test(arguments: [11, 12, 13]) func reportedAndUnreportedEditsAreTheSameEdit(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed))
        var reported = RGA(replica: A)
        var unreported = RGA(replica: A)
        var oracle: [Unicode.Scalar] = []
        var sent: [Operation] = []
        var cursor = 0
        for step in 0 ..< 6_000 {
            let roll = rng.int(0 ..< 100)
            if roll < 8 {
                cursor = rng.int(0 ... oracle.count)                      // a jump elsewhere
            } else if roll < 65 || oracle.isEmpty {
                let text = rng.text(rng.chance(0.95) ? 1 : rng.int(2 ... 30))  // a key, sometimes a paste
                if let op = reported.insert(text, at: cursor) { sent.append(op) }
                unreported.insertUnreported(text, at: cursor)
                oracle.insert(contentsOf: text, at: cursor)
                cursor += text.count
            } else if roll < 85, cursor > 0 {
                let n = rng.chance(0.9) ? 1 : rng.int(1 ... cursor)         // Backspace, or a selection
                if let op = reported.delete(at: cursor - n, length: n) { sent.append(op) }
                unreported.deleteUnreported(at: cursor - n, length: n)
                oracle.removeSubrange(cursor - n ..< cursor)
                cursor -= n
            } else if cursor < oracle.count {
                let n = rng.chance(0.9) ? 1 : rng.int(1 ... oracle.count - cursor)  // Delete
                if let op = reported.delete(at: cursor, length: n) { sent.append(op) }
                unreported.deleteUnreported(at: cursor, length: n)
                oracle.removeSubrange(cursor ..< cursor + n)
            }
            #expect(reported.count == oracle.count && unreported.count == oracle.count, "seed \(seed) step \(step)")
            if step % 400 == 0 {
                #expect(reported.scalars == oracle, "seed \(seed) step \(step)")
                #expect(unreported.scalars == oracle, "seed \(seed) step \(step)")
                try unreported.checkInvariants()
            }
        }
        #expect(unreported.scalars == oracle, "seed \(seed)")
        try reported.checkInvariants()
        try unreported.checkInvariants()
        #expect(Array(reported.log) == Array(unreported.log), "seed \(seed): the two logs differ")
        #expect(reported.version == unreported.version, "seed \(seed)")
        // What was sent rebuilds the text elsewhere, and so does the unreported log.
        var peer = RGA(replica: B)
        try peer.receive(contentsOf: sent)
        #expect(peer.scalars == oracle, "seed \(seed): the sent operations do not rebuild the text")
        var other = RGA(replica: B)
        try other.receive(contentsOf: Array(unreported.log))
        #expect(other.scalars == oracle, "seed \(seed): the unreported log does not rebuild the text")
        try other.checkInvariants()
    }
}
