import Testing
import WeaveCore
import WeaveTestSupport
import WeaveWorkspace

/// Replays every input the folder-record fuzzer keeps
/// (FuzzTesting/Corpus/FuzzFolderRecord): seeds and every crash ever found,
/// through the same checks as the fuzzer (FuzzTesting/Sources/FuzzFolderRecord).
struct FolderRecordCorpusTests {
    @Test func folderRecordCorpusParsesOrRefusesCleanly() throws {
        let inputs = try FuzzCorpus.load("FuzzFolderRecord")
        #expect(inputs.count >= 4, "the FuzzFolderRecord corpus is missing")
        var accepted = 0, refused = 0
        for (name, bytes) in inputs {
            let text = String(decoding: bytes, as: UTF8.self)
            var lines: [String] = []
            var current = ""
            for c in text.unicodeScalars {
                current.unicodeScalars.append(c)
                if c == "\n" { lines.append(current); current = "" }
            }
            if !current.isEmpty { lines.append(current) }
            for line in lines {
                guard let r = FolderRecord(line: line) else { refused += 1; continue }
                accepted += 1
                #expect(WorkspacePath.isValid(r.path), "\(name): \(r.path.debugDescription)")
                #expect(FolderRecord(line: r.line) == r, "\(name): \(r)")
            }
            var replicas = [RGA(replica: ReplicaID(0xc0ffee01)), RGA(replica: ReplicaID(0x9a8b_7c6d_5e4f_3a2b))]
            var ops: [WeaveCore.Operation] = []
            for (i, line) in lines.enumerated() {
                let k = i % 2
                guard let op = replicas[k].insert(line, at: replicas[k].count) else { continue }
                try replicas[1 - k].receive(op)
                ops.append(op)
            }
            for state in [FolderState(operations: ops), FolderState(text: text)] {
                try state.checkInvariants()
                for e in state.all { #expect(WorkspacePath.isValid(e.storedPath), "\(name): \(e.storedPath.debugDescription)") }
            }
        }
        #expect(accepted > 0 && refused > 0, "the corpus has both well-formed and malformed lines")
    }
}
