import Testing
@testable import WeaveHistory

struct ScrubberTests {
    @Test func movesAndStaysInBounds() {
        var s = Scrubber(edits: 250)
        #expect(s.position == 250)
        s.apply(.forward)
        #expect(s.position == 250)
        s.apply(.start)
        s.apply(.back)
        #expect(s.position == 0)
        s.apply(.pageForward)
        #expect(s.position == 2)
        s.apply(.end)
        s.apply(.pageBack)
        #expect(s.position == 248)
    }

    @Test func typedNumbersJump() {
        var s = Scrubber(edits: 500)
        s.apply(.digit(1)); s.apply(.digit(2)); s.apply(.digit(3))
        #expect(s.typedNumber == "123")
        let moved = s.apply(.jump)
        #expect(moved)
        #expect(s.position == 123)
        #expect(s.typedNumber == "")
        s.apply(.digit(9)); s.apply(.digit(9)); s.apply(.digit(9)); s.apply(.jump)
        #expect(s.position == 500)
    }

    @Test func burstsJump() {
        var s = Scrubber(edits: 30, position: 12)
        let bursts = [0 ..< 10, 10 ..< 25, 25 ..< 30]
        s.apply(.nextBurst, bursts: bursts)
        #expect(s.position == 25)
        s.apply(.previousBurst, bursts: bursts)
        #expect(s.position == 10)
        s.apply(.previousBurst, bursts: bursts)
        #expect(s.position == 0)
    }

    @Test func playsAtSpeedOrAtTheRecordedPace() {
        var s = Scrubber(edits: 3, position: 0)
        #expect(s.delay(times: [0, 100, 5000]) == nil)
        s.apply(.playPause)
        #expect(s.delay(times: [0, 100, 5000]) == 1.0 / 20)
        s.apply(.faster)
        #expect(s.speed == 40)
        s.apply(.togglePace)
        s.step()
        #expect(s.position == 1)
        #expect(s.delay(times: [0, 100, 5000]) == 0.1 * 20 / 40)
        s.step()
        #expect(s.delay(times: [0, 100, 5000]) == Scrubber.longestPause * 20 / 40)  // long pause shortened
        s.step()
        #expect(!s.playing)  // stops at the end
        s.apply(.playPause)
        #expect(s.position == 0 && s.playing)  // and plays again from the start
    }

    @Test func markForDiffAndLiveGrowth() {
        var s = Scrubber(edits: 10, position: 4)
        s.apply(.toggleMark)
        #expect(s.mark == 4)
        s.update(edits: 12)
        #expect(s.position == 4 && s.edits == 12)
        s.update(edits: 3)
        #expect(s.mark == nil && s.position == 3)
    }
}
