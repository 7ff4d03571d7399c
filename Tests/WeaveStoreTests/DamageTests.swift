import Foundation
import Testing
import WeaveCore
@testable import WeaveStore

/// A history of several records, and the offsets where each record starts.
func sampleHistory() throws -> (bytes: [UInt8], recordStarts: [Int], file: String) {
    let dir = temporaryDirectory()
    let file = dir + "/a.txt"
    let s = try StoredDocument(file: file, replica: ReplicaID(5), author: "me")
    for (i, w) in ["alpha ", "beta ", "gamma ", "délta ", "ε"].enumerated() {
        s.record([s.doc.insert(w, at: s.doc.count)!], time: Int64(i))
        try s.flush()
    }
    let bytes = read(OpLog.sidecarPath(for: file))
    var starts: [Int] = []
    var o = OpLogFormat.headerSize
    while o < bytes.count, case .valid(_, let next) = OpLog.recordAt(bytes, o) { starts.append(o); o = next }
    #expect(o == bytes.count)
    return (bytes, starts, file)
}

struct DamageTests {
    /// Cut at every byte of the last two records: the longest whole prefix
    /// loads, the rest is reported as a torn tail, nothing traps.
    @Test func truncationAtEveryOffsetKeepsTheLongestValidPrefix() throws {
        let (bytes, starts, _) = try sampleHistory()
        let full = try OpLog.parse(bytes, path: "h")
        for cut in starts[starts.count - 2] ..< bytes.count {
            let loaded = try OpLog.parse(Array(bytes[0 ..< cut]), path: "h")
            let whole = starts.filter { s in s < cut && (starts.first { $0 > s } ?? bytes.count) <= cut }.count
            #expect(loaded.validLength == (whole == starts.count ? bytes.count : starts[whole]), "cut at \(cut)")
            #expect(loaded.tornTailBytes == cut - loaded.validLength, "cut at \(cut)")
            #expect(loaded.history.edits.count <= full.history.edits.count)
        }
        // Cuts inside the header are a torn (empty) history, not a crash.
        for cut in 0 ..< OpLogFormat.headerSize { _ = try? OpLog.parse(Array(bytes[0 ..< cut]), path: "h") }
    }

    /// A flipped byte in the last record is a torn tail; anywhere before it,
    /// damage named by offset. Never a trap.
    @Test func aFlippedByteIsATornTailAtTheEndAndDamageBefore() throws {
        let (bytes, starts, _) = try sampleHistory()
        let last = starts.last!
        for i in starts[starts.count - 3] ..< bytes.count {
            var b = bytes
            b[i] ^= 0x5a
            do {
                let loaded = try OpLog.parse(b, path: "h")
                #expect(i >= last, "flip at \(i) before the last record was not reported")
                #expect(loaded.validLength <= last)
            } catch let e as StoreError {
                guard case .damaged(_, let offset, _) = e else { Issue.record("flip at \(i): \(e)"); continue }
                #expect(offset <= i, "flip at \(i) reported at \(offset)")
            }
        }
    }

    @Test func openingCutsATornTailAndSaysSo() throws {
        let (bytes, starts, file) = try sampleHistory()
        write(OpLog.sidecarPath(for: file), Array(bytes[0 ..< bytes.count - 3]))
        let s = try StoredDocument(file: file, author: "me")
        #expect(s.messages.contains { $0.contains("interrupted write") })
        #expect(s.doc.text == "alpha beta gamma délta ")
        #expect(read(OpLog.sidecarPath(for: file)).count >= starts.last!)
    }

    @Test func damageInTheMiddleIsRefusedAndRecoverKeepsThePrefix() throws {
        let (bytes, starts, file) = try sampleHistory()
        var b = bytes
        b[starts[3] + 10] ^= 0xff
        write(OpLog.sidecarPath(for: file), b)
        #expect(throws: StoreError.damaged(path: OpLog.sidecarPath(for: file), offset: starts[3], reason: "checksum mismatch")) {
            try StoredDocument(file: file, author: "me")
        }
        #expect(read(OpLog.sidecarPath(for: file)) == b)  // nothing written
        let report = try Recovery.recover(file: file)
        #expect(report.droppedBytes == bytes.count - starts[3])
        let s = try StoredDocument(file: file, author: "me")
        #expect(s.doc.text.hasPrefix("alpha"))
        #expect(FileManager.default.fileExists(atPath: OpLog.sidecarPath(for: file) + ".damaged"))
    }
}
