import Testing
import WeaveCore
import WeaveHistory
import WeaveTestSupport
@testable import WeaveEditor

/// A read-only editor (an unwritable folder, a watcher's invitation): no key
/// changes the document or asks for a write, whatever the sequence; moving,
/// finding and time travel still work.
@Suite struct ReadOnlyTests {
    @Test func noKeySequenceChangesAReadOnlyDocument() {
        let seed = TestSeed.pick(4_401)
        var g = SeededRandom(seed: seed)
        let keys: [Key] = [.char("x"), .char("日"), .enter, .tab, .paste("pasted\n"), .backspace, .delete, .ctrl("h"), .ctrl("d"),
                           .ctrl("k"), .ctrl("u"), .ctrl("z"), .ctrl("y"), .ctrl("s"), .left, .right, .up, .down, .home, .end,
                           .ctrlHome, .ctrlEnd, .pageDown, .ctrlLeft, .ctrlRight, .function(3), .alt("r"), .ctrl("\\")]
        for run in 0 ..< 200 {
            var e = Editor(fileName: "r.txt", text: "first line\nsecond é line\nthird\n")
            e.readOnly = "a read-only invitation"
            for step in 0 ..< 60 {
                let k = keys[g.int(0 ..< keys.count)]
                let fx = e.handle(k)
                #expect(!fx.contains { if case .broadcast = $0 { return true }; if case .save = $0 { return true }; return false },
                        "seed \(seed) run \(run) step \(step): \(k) asked for \(fx)")
                #expect(e.text == "first line\nsecond é line\nthird\n", "seed \(seed) run \(run) step \(step): \(k) changed the text")
                if Editor.edits(k) { #expect(e.message?.hasPrefix("Read-only: a read-only invitation") == true) }
            }
            #expect(!e.modified)
        }
    }

    @Test func movingWorksAndTheStatusLineSaysReadOnly() {
        var e = Editor(fileName: "r.txt", text: "ab\ncd")
        e.readOnly = "opened with --read-only"
        _ = e.handle(.down)
        _ = e.handle(.end)
        #expect(e.lineAndColumn == (1, 2))
        let status = e.render().rows[e.size.height - 2].map(\.text).joined()
        #expect(status.contains("[read-only]"), "\(status)")
    }

    @Test func timeTravelOpensButRestoreIsRefused() {
        var e = Editor(fileName: "r.txt", text: "abc")
        e.readOnly = "a read-only invitation"
        var h = History()
        h.edits = [Edit(time: 0, ops: e.doc.rga.operations(since: VersionVector()))]
        e.openTimeTravel(Timeline(doc: e.doc.rga, history: h))
        _ = e.handle(.home)
        let fx = e.handle(.char("r"))
        #expect(fx.isEmpty)
        #expect(e.message?.contains("Restore is disabled") == true)
        _ = e.handle(.char("y"))
        #expect(e.text == "abc")
        #expect(!e.handle(.ctrl("s")).contains(.save(text: "abc")), "no save from the pane either")
    }
}
