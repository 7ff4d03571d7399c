import Testing
@testable import WeaveEditor

/// A copy or a cut tells the host what the clipboard holds (`Effect.clipboard`),
/// so it can reach the system clipboard (OSC 52, when enabled); other keys do not.
struct ClipboardEffectTests {
    @Test func copyAndCutAnnounceTheClipboard() {
        var e = Editor(fileName: "t", text: "one\ntwo\n")
        _ = e.handle(.resize(width: 40, height: 10))
        #expect(e.handle(.ctrl("c")).contains(.clipboard("one\n")), "Ctrl-C without a selection copies the line")
        #expect(!e.handle(.down).contains { if case .clipboard = $0 { return true } else { return false } })
        _ = e.handle(.shift(.right))
        _ = e.handle(.shift(.right))
        #expect(e.handle(.ctrl("x")).contains(.clipboard("tw")))
        #expect(e.text == "one\no\n")
    }
}
