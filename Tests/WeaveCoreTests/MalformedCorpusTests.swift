import Testing
import WeaveTestSupport
@testable import WeaveCore

/// A deterministic corpus of malformed inputs: encoded operation lists cut,
/// flipped, spliced and stuffed with bad varints and bad UTF-8, and well-formed
/// operations that can never apply (counters going backwards, unknown IDs,
/// overflows). Each must give a specific error (never a trap), and a document
/// that refuses an operation must be exactly as it was.
struct MalformedCorpusTests {
    static func sampleDocument() -> RGA {
        var a = RGA(replica: ReplicaID(0xA)), b = RGA(replica: ReplicaID(0xB))
        a.insert("Hello, wörld! 日本 🙂", at: 0)
        try! b.receive(contentsOf: a.log)
        b.insert("++", at: 5)
        a.delete(at: 0, length: 3)
        for p in stride(from: 8, through: 5, by: -1) { a.delete(at: p, length: 1) }
        try! a.receive(contentsOf: b.operations(since: a.version))
        a.insert("end", at: a.count)
        return a
    }

    /// Decodes `bytes`; whatever decodes is offered to a copy of `doc`, which must
    /// either apply it or refuse it and stay unchanged. Returns whether an error was raised.
    static func exercise(_ bytes: [UInt8], against doc: RGA) -> Bool {
        let ops: [Operation]
        do { ops = try OpCodec.decode(bytes) } catch { return !error.description.isEmpty }
        var raised = false
        for op in ops {
            var copy = doc
            let before = (copy.text, copy.version, copy.log.count, copy.pendingCount)
            do { try copy.receive(op) } catch {
                raised = true
                #expect(!String(describing: error).isEmpty)
                #expect((copy.text, copy.version, copy.log.count, copy.pendingCount) == before, "a refused operation changed the document")
            }
        }
        return raised
    }

    @Test func tenThousandMalformedEncodings() throws {
        let doc = Self.sampleDocument()
        let valid = OpCodec.encode(doc.log)
        #expect(try OpCodec.decode(valid) == Array(doc.log))
        var rng = SeededRandom(seed: 4242)
        var cases = 0, errors = 0
        func run(_ b: [UInt8]) { cases += 1; if Self.exercise(b, against: doc) { errors += 1 } }
        // Every truncation.
        for cut in 0 ..< valid.count { run(Array(valid[0 ..< cut])) }
        // Every single-byte substitution with a few telling values.
        for i in 0 ..< valid.count {
            for v: UInt8 in [0x00, 0x7f, 0x80, 0xff, 0xc0, 0xed, 0xf5] where valid[i] != v {
                var b = valid; b[i] = v; run(b)
            }
        }
        // Random splices: delete, duplicate or insert runs of bytes.
        while cases < 10_000 {
            var b = valid
            let i = rng.int(0 ..< b.count)
            switch rng.int(0 ..< 4) {
            case 0: b.removeSubrange(i ..< min(b.count, i + rng.int(1 ... 8)))
            case 1: b.insert(contentsOf: b[i ..< min(b.count, i + rng.int(1 ... 8))], at: i)
            case 2: b.insert(contentsOf: (0 ..< rng.int(1 ... 8)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }, at: i)
            default: b[i] ^= UInt8(1 << rng.int(0 ..< 8)); b[rng.int(0 ..< b.count)] ^= 0xff
            }
            run(b)
        }
        // Overlong varints and absurd counts in every header field.
        let overlong: [UInt8] = Array(repeating: 0xff, count: 10) + [0x7f]
        for field in 5 ..< 24 {
            var b = valid
            b.replaceSubrange(field ..< field + 1, with: overlong)
            run(b)
            var c = valid
            c.replaceSubrange(field ..< field + 1, with: [0xff, 0xff, 0xff, 0xff, 0x0f])
            run(c)
        }
        // Invalid UTF-8 in the text section (its last bytes).
        for bad: [UInt8] in [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x28, 0xa1], [0x80], [0xfe]] {
            for k in 1 ... 4 {
                var b = valid
                b.replaceSubrange(b.count - k ..< b.count, with: bad + Array(repeating: 0x61, count: max(0, k - bad.count)))
                run(b)
            }
        }
        #expect(cases >= 10_000, "only \(cases) cases")
        #expect(errors > cases / 2, "most malformed inputs must be refused with an error (\(errors) of \(cases))")
    }

    @Test func operationsThatCanNeverApplyAreRefusedAndChangeNothing() throws {
        let doc = Self.sampleDocument()
        let a = ReplicaID(0xA), b = ReplicaID(0xB), stranger = ReplicaID(0xC)
        let aNext = doc.seen(a), aCounter = doc.lamport
        var refused = 0
        func check(_ op: Operation, _ expected: OperationError? = nil) {
            var copy = doc
            let before = (copy.text, copy.version, copy.log.count)
            do {
                try copy.receive(op)
                // Accepted only by waiting for predecessors that may still come.
                #expect(copy.pendingCount == 1, "\(op) was applied")
                #expect(copy.text == before.0)
            } catch {
                refused += 1
                if let expected { #expect(error as? OperationError == expected) }
                #expect((copy.text, copy.version, copy.log.count) == before)
                #expect(throws: Never.self) { try copy.checkInvariants() }
            }
        }
        // Counters going backwards for a known replica.
        let aEnd = doc.replicas[doc.slot(of: a)!].counterEnd
        for c: UInt32 in [0, 1, aEnd / 2, aEnd - 1] {
            check(Operation(replica: a, seq: aNext, counter: c, body: .insert(after: nil, text: ["x"])),
                  .counterWentBackwards(a, counter: c, expectedAtLeast: aEnd))
        }
        // Inserting after, and deleting, elements that cannot exist.
        for c: UInt32 in [aCounter + 5, 999_999] {
            check(Operation(replica: a, seq: aNext, counter: c + 10, body: .insert(after: ElementID(counter: c, replica: a), text: ["x"])),
                  .unknownElement(ElementID(counter: c, replica: a), in: a))
            check(Operation(replica: a, seq: aNext, counter: c + 10, body: .delete([DeletedRun(start: ElementID(counter: c, replica: a), length: 1)])),
                  .unknownElement(ElementID(counter: c, replica: a), in: a))
        }
        // A reference not below the insert's own counter.
        check(Operation(replica: stranger, seq: 0, counter: 3, body: .insert(after: ElementID(counter: 3, replica: a), text: ["x"])),
              .counterNotAfterReference(ElementID(counter: 3, replica: stranger), reference: ElementID(counter: 3, replica: a)))
        // Empty operations, overflowing counters and runs.
        check(Operation(replica: stranger, seq: 0, counter: 1, body: .insert(after: nil, text: [])), .empty(stranger))
        check(Operation(replica: stranger, seq: 0, counter: 1, body: .delete([])), .empty(stranger))
        check(Operation(replica: stranger, seq: 0, counter: UInt32.max, body: .insert(after: nil, text: ["a", "b"])))
        check(Operation(replica: stranger, seq: 0, counter: 50, body: .delete([DeletedRun(start: ElementID(counter: 1, replica: a), length: 5, backward: true)])))
        check(Operation(replica: stranger, seq: 0, counter: 50, body: .delete([DeletedRun(start: ElementID(counter: UInt32.max - 1, replica: b), length: 9)])))
        #expect(refused >= 8)
    }
}
