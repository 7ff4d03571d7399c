import Foundation
import Testing
import WeaveTestSupport
@testable import WeaveCore

/// Replays every input the fuzzers keep (FuzzTesting/Corpus/FuzzOpCodec):
/// seeds and every crash ever found, so a fixed bug stays fixed. Each named
/// seed decodes to what it was made to hold; every other input either decodes
/// (and then round-trips and applies without breaking an invariant) or is
/// refused with a `DecodeError`.
struct CorpusReplayTests {
    @Test func opCodecCorpusDecodesOrFailsCleanly() throws {
        let inputs = try FuzzCorpus.load("FuzzOpCodec")
        #expect(inputs.count >= 2, "the FuzzOpCodec corpus is missing")
        for (name, bytes) in inputs {
            let ops: [WeaveCore.Operation]
            do { ops = try OpCodec.decode(bytes) } catch {
                continue  // a DecodeError: `decode` throws nothing else (typed throws)
            }
            #expect(try OpCodec.decode(OpCodec.encode(ops)) == ops, "\(name)")
            var doc = RGA(replica: ReplicaID(1))
            doc.pendingLimit = 64
            for op in ops { _ = try? doc.receive(op) }  // refusals are fine; invariants must hold
            try doc.checkInvariants()
        }
    }

    @Test func opCodecSeedsHoldTheirKnownContent() throws {
        let inputs = Dictionary(uniqueKeysWithValues: try FuzzCorpus.load("FuzzOpCodec").map { ($0.name, $0.bytes) })
        // One insert of "a" by replica 10 at the document's start.
        let minimal = try OpCodec.decode(try #require(inputs["seed-minimal"]))
        #expect(minimal.count == 1)
        #expect(minimal.first?.replica == ReplicaID(10))
        var doc = RGA(replica: ReplicaID(1))
        try doc.receive(contentsOf: minimal)
        #expect(doc.text == "a")
        // The crash it once caused (an index underflow on a table with no replicas) is a clean refusal now.
        #expect(throws: DecodeError.self) { try OpCodec.decode(try #require(inputs["crash-no-replicas-index-underflow"])) }
    }
}
