import Foundation
import Testing
import WeaveCore
import WeaveStore
import WeaveTestSupport

/// `weave show` from the history's state record (issue 34), run for real: it
/// prints the latest text from a current state, the log's text when the state
/// is old, and never a damaged state's.
@Suite(.enabled(if: TestEnvironment.binaryTestsRun, "the weave binary is not built (swift build)"))
struct StateShowTests {
    func show(_ file: String) throws -> (status: Int32, output: String) {
        try Tmux.run([try Tmux.weaveBinary(), "show", file])
    }

    /// `edits` random one-letter inserts and deletes (seeded), recorded.
    func type(_ s: StoredDocument, _ edits: Int, _ g: inout SeededRandom) {
        for _ in 0 ..< edits {
            if s.doc.count > 0 && g.chance(0.3) {
                s.record([s.doc.delete(at: g.int(0 ..< s.doc.count), length: 1)!])
            } else {
                let letter = String(UnicodeScalar(UInt8(97 + g.int(0 ..< 8))))
                s.record([s.doc.insert(letter, at: g.int(0 ... s.doc.count))!])
            }
        }
    }

    @Test func showPrintsTheCurrentStateAndNeverAnOldOrDamagedOne() throws {
        let seed = TestSeed.pick(34_100)
        var g = SeededRandom(seed: seed)
        let dir = try TempDir("state-show")
        let file = dir.file("s.txt"), sidecar = OpLog.sidecarPath(for: file)
        try "".write(toFile: file, atomically: false, encoding: .utf8)
        var text: String
        do {
            let s = try StoredDocument(file: file, author: "me")
            type(s, StateSnapshot.minimumEdits + 50, &g)
            try s.savePlainText()
            try s.compactIfLong(s.doc)  // a session's end: the state is written
            text = s.doc.text
        }
        #expect(try OpLog.currentState(path: sidecar) != nil, "seed \(seed): no state written")
        var r = try show(file)
        #expect(r.status == 0 && r.output == text, "seed \(seed): \(r.output.prefix(80))")

        // An edit after the state: the state is old, the log's text is shown.
        do {
            let s = try StoredDocument(file: file, author: "me")
            type(s, 3, &g)
            try s.flush()
            text = s.doc.text
        }
        #expect(try OpLog.currentState(path: sidecar) == nil, "seed \(seed)")
        r = try show(file)
        #expect(r.status == 0 && r.output == text, "seed \(seed): an old state was shown: \(r.output.prefix(80))")

        // A current state again, then its last byte flipped: a torn tail, read from the log.
        do {
            let s = try StoredDocument(file: file, author: "me")
            try s.compactIfLong(s.doc)
        }
        var bytes = try #require(FileManager.default.contents(atPath: sidecar).map { [UInt8]($0) })
        #expect(try OpLog.currentState(path: sidecar) != nil, "seed \(seed): no state appended")
        bytes[bytes.count - 1] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: sidecar))
        r = try show(file)
        #expect(r.status == 0 && r.output == text, "seed \(seed): a damaged state was shown: \(r.output.prefix(80))")
    }
}
