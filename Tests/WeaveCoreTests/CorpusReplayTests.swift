import Foundation
import Testing
@testable import WeaveCore

/// Replays every input the fuzzers keep (FuzzTesting/Corpus/FuzzOpCodec):
/// seeds and every crash ever found, so a fixed bug stays fixed.
struct CorpusReplayTests {
    static func corpus(_ target: String) -> [(String, [UInt8])] {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        let dir = parts.joined(separator: "/") + "/FuzzTesting/Corpus/" + target
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.sorted().compactMap { n in
            FileManager.default.contents(atPath: dir + "/" + n).map { (n, Array($0)) }
        }
    }

    @Test func opCodecCorpusDecodesOrFailsCleanly() throws {
        let inputs = Self.corpus("FuzzOpCodec")
        #expect(!inputs.isEmpty, "the FuzzOpCodec corpus is missing")
        for (name, bytes) in inputs {
            guard let ops = try? OpCodec.decode(bytes) else { continue }
            #expect(try OpCodec.decode(OpCodec.encode(ops)) == ops, "\(name)")
            var doc = RGA(replica: ReplicaID(1))
            doc.pendingLimit = 64
            for op in ops { _ = try? doc.receive(op) }
            try doc.checkInvariants()
        }
    }
}
