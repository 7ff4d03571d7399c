import Foundation
import Testing
import WeaveCore
@testable import WeaveStore

/// Replays every input the log-loader fuzzer keeps (FuzzTesting/Corpus/FuzzLogLoader).
struct LogCorpusReplayTests {
    @Test func logLoaderCorpusParsesOrFailsCleanly() throws {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        let dir = parts.joined(separator: "/") + "/FuzzTesting/Corpus/FuzzLogLoader"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        #expect(!names.isEmpty, "the FuzzLogLoader corpus is missing")
        for n in names.sorted() {
            let bytes = Array(FileManager.default.contents(atPath: dir + "/" + n) ?? Data())
            guard let loaded = try? OpLog.parse(bytes, path: n) else { continue }
            _ = try? loaded.document(as: ReplicaID(7))
        }
    }
}
