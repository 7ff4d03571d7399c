import Testing
import WeaveTestSupport
import WeaveCore
@testable import WeaveEditor

@Suite struct TextBufferTests {
    @Test func lineIndexFollowsRandomEdits() throws {
        var rng = SeededRandom(seed: 42)
        var buffer = TextBuffer()
        var oracle: [Unicode.Scalar] = []
        let alphabet: [Unicode.Scalar] = ["a", "b", "\n", "日", "\n", "é"]
        for round in 0 ..< 2000 {
            let p = Int(rng.next() % UInt64(oracle.count + 1))
            let r = oracle.isEmpty ? 0 : Int(rng.next() % UInt64(min(5, oracle.count - p) + 1))
            let ins = (0 ..< Int(rng.next() % 4)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let edit = TextEdit(position: p, removed: r, inserted: ins)
            edit.apply(to: &oracle)
            buffer.apply(edit)
            #expect(buffer.scalars == oracle, "seed 42 round \(round)")
            try buffer.checkInvariants()
        }
    }

    @Test func lineLookups() {
        let b = TextBuffer(Array("ab\ncd\n\nef".unicodeScalars))
        #expect(b.lineCount == 4)
        #expect(b.line(of: 0) == 0)
        #expect(b.line(of: 2) == 0)
        #expect(b.line(of: 3) == 1)
        #expect(b.line(of: 6) == 2)
        #expect(b.lineRange(2) == 6 ..< 6)
        #expect(b.lineRange(3) == 7 ..< 9)
    }

    @Test func charWidths() {
        #expect(CharWidth.of("a") == 1)
        #expect(CharWidth.of("日") == 2)
        #expect(CharWidth.of("😀") == 2)
        #expect(CharWidth.of("\u{301}") == 0)
        #expect(CharWidth.of("\u{200D}") == 0)
        #expect(CharWidth.of("é") == 1)
        #expect(CharWidth.of("한") == 2)
        #expect(CharWidth.of("Ａ") == 2)
        #expect(CharWidth.of("→") == 1)
        #expect(CharWidth.of("日本😀e\u{301}".unicodeScalars) == 7)
    }
}

