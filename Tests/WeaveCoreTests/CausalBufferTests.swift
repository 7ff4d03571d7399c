import Testing
import WeaveTestSupport
@testable import WeaveCore

/// The causal buffer: operations that arrive before what they need wait, and
/// each is looked at again only when something it waits for arrives.
struct CausalBufferTests {
    /// Single-key edits by two replicas (each typing after the other's text,
    /// deleting some of it), as the operations they sent, in the order made.
    static func history(seed: UInt64, edits: Int) throws -> (ops: [Operation], text: String) {
        var rng = SeededRandom(seed: seed)
        var x = RGA(replica: ReplicaID(11)), y = RGA(replica: ReplicaID(22))
        var ops: [Operation] = []
        for _ in 0 ..< edits {
            let mover = rng.chance(0.5)
            var doc = mover ? x : y
            let n = doc.count
            let op = n > 0 && rng.chance(0.25)
                ? doc.delete(at: rng.int(0 ..< n), length: 1)!
                : doc.insert(rng.text(1), at: rng.int(0 ... n))!
            if mover { x = doc; try y.receive(op) } else { y = doc; try x.receive(op) }
            ops.append(op)
        }
        #expect(x.text == y.text)
        return (ops, x.text)
    }

    @Test("newest first: everything waits, then applies, each operation looked at again about once", arguments: [1, 2, 3] as [UInt64])
    func newestFirst(seed: UInt64) throws {
        let (ops, text) = try Self.history(seed: seed, edits: 3_000)
        var z = RGA(replica: ReplicaID(33))
        z.pendingLimit = ops.count
        for op in ops.reversed().dropLast() { #expect(try z.receive(op).isEmpty, "seed \(seed)") }
        #expect(z.pendingCount == ops.count - 1, "seed \(seed)")
        try z.receive(ops[0])
        #expect(z.pendingCount == 0, "seed \(seed)")
        #expect(z.text == text, "seed \(seed)")
        try z.checkInvariants()
        // Scanning the whole buffer after each applied operation looked at ~n²/2;
        // each operation waits for at most its author's previous unit and one element.
        #expect(z.causalChecks <= 2 * ops.count, "seed \(seed): \(z.causalChecks) checks for \(ops.count) operations")
        #expect(z.memoryUsage.pending == 0, "an empty buffer holds nothing")
    }

    @Test("shuffled delivery converges, and the text edits reported rebuild the text", arguments: [4, 5, 6] as [UInt64])
    func shuffled(seed: UInt64) throws {
        let (ops, text) = try Self.history(seed: seed, edits: 1_500)
        var rng = SeededRandom(seed: seed &+ 100)
        var z = RGA(replica: ReplicaID(33))
        z.pendingLimit = ops.count
        var view: [Unicode.Scalar] = []
        for op in ops.shuffled(using: &rng) {
            for e in try z.receive(op) { e.apply(to: &view) }
        }
        #expect(z.pendingCount == 0, "seed \(seed)")
        #expect(z.text == text, "seed \(seed)")
        #expect(String(String.UnicodeScalarView(view)) == text, "seed \(seed)")
        #expect(z.causalChecks <= 3 * ops.count, "seed \(seed): \(z.causalChecks) checks for \(ops.count) operations")
    }

    @Test("an operation naming an element that will never come is dropped when that is known")
    func waitingForAnElementThatNeverCame() throws {
        var z = RGA(replica: ReplicaID(33))
        let ghost = ElementID(counter: 5, replica: ReplicaID(11))
        // y types after x's element 5, which z has not seen yet: it waits.
        try z.receive(Operation(replica: ReplicaID(22), seq: 0, counter: 6, body: .insert(after: ghost, text: ["y"])))
        #expect(z.pendingCount == 1)
        // x's counters pass 5 without element 5 ever being made: y's operation can never apply.
        try z.receive(Operation(replica: ReplicaID(11), seq: 0, counter: 9, body: .insert(after: nil, text: ["x"])))
        #expect(z.pendingCount == 0)
        #expect(z.text == "x")
        try z.checkInvariants()
    }
}
