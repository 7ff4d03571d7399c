import Testing
import WeaveCore
@testable import WeaveEditor

/// The mouse as keys: drag, Shift+click, double and triple click, the wheel,
/// and the setting that turns them off. Screen positions at 80x24, no gutter.
@Suite struct MouseTests {
    func editor(_ text: String) -> Editor { Editor(fileName: "t", text: text, replica: ReplicaID(1)) }

    func press(_ e: inout Editor, _ keys: [Key]) throws {
        for k in keys {
            _ = e.handle(k)
            try e.checkInvariants()
        }
    }

    @Test func dragSelectsFromTheClick() throws {
        var e = editor("hello world\nsecond line")
        try press(&e, [.click(x: 6, y: 0), .drag(x: 9, y: 0), .drag(x: 3, y: 1)])
        #expect(e.selection == 6 ..< 15)
        #expect(e.cursor == 15)
        _ = e.handle(.ctrl("c"))
        try press(&e, [.ctrlEnd, .ctrl("v")])
        #expect(e.text == "hello world\nsecond lineworld\nsec")
    }

    @Test func aClickEndsADragSelection() throws {
        var e = editor("abcdef")
        try press(&e, [.click(x: 1, y: 0), .drag(x: 4, y: 0), .click(x: 5, y: 0)])
        #expect(e.selection == nil)
        #expect(e.cursor == 5)
    }

    @Test func shiftClickExtends() throws {
        var e = editor("abcdef\nghij")
        try press(&e, [.right, .shift(.click(x: 2, y: 1))])
        #expect(e.selection == 1 ..< 9)
        try press(&e, [.shift(.click(x: 3, y: 0))])
        #expect(e.selection == 1 ..< 3)
    }

    @Test func doubleClickSelectsAWordTripleALine() throws {
        var e = editor("let some_name = 1\nnext")
        try press(&e, [.click(x: 6, y: 0), .doubleClick(x: 6, y: 0)])
        #expect(e.selection == 4 ..< 13)
        try press(&e, [.tripleClick(x: 6, y: 0)])
        #expect(e.selection == 0 ..< 18)
        _ = e.handle(.char("X"))
        #expect(e.text == "Xnext")
    }

    @Test func theWheelScrollsTheViewAndTheCursorComes() throws {
        let text = (1 ... 100).map { "line \($0)" }.joined(separator: "\n")
        var e = editor(text)
        try press(&e, [.wheel(3), .wheel(3)])
        #expect(e.top.line == 6)
        #expect(e.render().lines[0] == "line 7")
        #expect(e.lineAndColumn.line == 6)
        try press(&e, [.wheel(-3)])
        #expect(e.top.line == 3)
        try press(&e, [.wheel(-30)])
        #expect(e.top.line == 0)
    }

    @Test func theWheelKeepsHelpOpen() {
        var e = editor("a")
        _ = e.handle(.function(1))
        _ = e.handle(.wheel(3))
        #expect(e.mode == .help)
    }

    @Test func mouseOffDropsEverything() throws {
        var e = editor("abc\ndef")
        e.mouse = false
        try press(&e, [.click(x: 2, y: 1), .drag(x: 0, y: 0), .doubleClick(x: 1, y: 0), .wheel(3)])
        #expect(e.cursor == 0)
        #expect(e.selection == nil)
    }
}
