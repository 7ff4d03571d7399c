import Foundation
import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveStore

/// Replays every input the log-loader fuzzer keeps (FuzzTesting/Corpus/FuzzLogLoader):
/// each either parses into a history whose document rebuilds, or is refused
/// with a `StoreError`; the named seed parses to its known content.
struct LogCorpusReplayTests {
    @Test func logLoaderCorpusParsesOrFailsCleanly() throws {
        let inputs = try FuzzCorpus.load("FuzzLogLoader")
        #expect(!inputs.isEmpty, "the FuzzLogLoader corpus is missing")
        for (name, bytes) in inputs {
            let loaded: LoadedLog
            do { loaded = try OpLog.parse(bytes, path: name) } catch {
                #expect(error is StoreError, "\(name): \(error)")
                continue
            }
            let doc = try loaded.document(as: ReplicaID(7))
            try doc.checkInvariants()
        }
    }

    @Test func smallHistorySeedHoldsItsKnownContent() throws {
        let bytes = try #require(try FuzzCorpus.load("FuzzLogLoader").first { $0.name == "seed-small-history" }?.bytes)
        let loaded = try OpLog.parse(bytes, path: "seed-small-history")
        let doc = try loaded.document(as: ReplicaID(7))
        // A crash-test writer's history: 13 edits, then a torn record of 25 bytes.
        #expect(loaded.history.edits.count == 13)
        #expect(loaded.history.authors.values.map(\.name) == ["crash-test"])
        #expect(doc.text == "e0 e1 2 e3 5 e6 e7 e8 e10 e11 e12 ")
        #expect(loaded.tornTailBytes == 25)
    }
}
