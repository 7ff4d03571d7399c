import Testing
@testable import WeaveEditor

/// Every transition of `QuitFlow` (Ctrl-Q with edits no peer has acknowledged),
/// without a session, a hub or a file (issue 31).
@Suite struct QuitFlowTests {
    static let question3 = "3 edits not yet sent: w wait / s save a copy / q quit anyway / Esc edit"
    static let question3Alone = "3 edits not yet sent (no peer connected): w wait / s save a copy / q quit anyway / Esc edit"

    /// Facts with 3 pending edits at t = 1 s, a peer connected, no file, a 2 s wait.
    static func facts(pending: Int = 3, now: UInt64 = 1_000_000_000, canSend: Bool = true, peer: Bool = true,
                      file: Bool = false, joiner: Bool = true) -> QuitFlow.Facts {
        QuitFlow.Facts(pending: pending, now: now, canSend: canSend, peerConnected: peer, hasFile: file, joiner: joiner, wait: 2)
    }

    static func sending() -> QuitFlow {
        var q = QuitFlow()
        _ = q.step(.quit, facts())
        return q
    }

    static func asking(peer: Bool = false) -> QuitFlow {
        var q = QuitFlow()
        _ = q.step(.quit, facts(canSend: false, peer: peer))
        return q
    }

    // MARK: idle

    @Test func quitWithNothingPendingIsTheEditorsOwn() {
        var q = QuitFlow()
        #expect(q.step(.quit, Self.facts(pending: 0)) == [.passToEditor])
        #expect(q.state == .idle)
    }

    @Test func quitWithAPeerWaitsForTheAcknowledgements() {
        var q = QuitFlow()
        #expect(q.step(.quit, Self.facts()) == [.notify("Sending 3 edits before quitting… (Esc: back to editing)")])
        #expect(q.state == .sending(until: 3_000_000_000))
    }

    @Test func quitWithAFileAndNoPeerSaysWhereTheEditsAreAndPasses() {
        var q = QuitFlow()
        let note = "weave: 3 edits have not reached anyone yet; the file's history keeps them and the next weave join sends them"
        #expect(q.step(.quit, Self.facts(canSend: false, file: true)) == [.exitNote(note), .notify(note), .passToEditor])
        #expect(q.state == .idle)
        #expect(QuitFlow.unsentNote(1, joiner: false)
            == "weave: 1 edit has not reached anyone yet; the file's history keeps it and the next peer that joins gets it")
    }

    @Test func quitInMemoryWithNoPeerAsksAtOnce() {
        var q = QuitFlow()
        #expect(q.step(.quit, Self.facts(canSend: false, peer: false)) == [.question(Self.question3Alone)])
        #expect(q.state == .asking)
        var offline = QuitFlow()  // offline with a peer still connected: asked, without "no peer connected"
        #expect(offline.step(.quit, Self.facts(canSend: false, peer: true)) == [.question(Self.question3)])
    }

    @Test func idleIgnoresEverythingButQuit() {
        var q = QuitFlow()
        for input: QuitFlow.Input in [.tick, .key(.escape), .key(.char("q")), .key(.ctrl("q")), .copySaved(path: "x"), .copyFailed("x")] {
            #expect(q.step(input, Self.facts()) == [], "\(input)")
            #expect(q.state == .idle)
        }
    }

    // MARK: sending

    @Test func sendingFinishesWhenEverythingIsAcknowledged() {
        var q = Self.sending()
        #expect(q.step(.tick, Self.facts(pending: 0)) == [.question(nil), .finish])
        #expect(q.state == .idle)
    }

    @Test func sendingKeepsWaitingBeforeItsDeadline() {
        var q = Self.sending()
        #expect(q.step(.tick, Self.facts(now: 2_999_999_999)) == [])
        #expect(q.state == .sending(until: 3_000_000_000))
    }

    @Test func sendingAsksAtItsDeadlineInMemory() {
        var q = Self.sending()
        #expect(q.step(.tick, Self.facts(now: 3_000_000_000)) == [.question(Self.question3)])
        #expect(q.state == .asking)
    }

    @Test func sendingFinishesAtItsDeadlineWithAFileAndSaysWhereTheEditsAre() {
        var q = QuitFlow()
        _ = q.step(.quit, Self.facts(file: true))
        let note = QuitFlow.unsentNote(3, joiner: true)
        #expect(q.step(.tick, Self.facts(now: 3_000_000_000, file: true)) == [.exitNote(note), .question(nil), .finish])
        #expect(q.state == .idle)
    }

    @Test func ctrlQAgainWhileSendingStopsWaiting() {
        var q = Self.sending()
        #expect(q.step(.key(.ctrl("q")), Self.facts()) == [.question(Self.question3)])
        #expect(q.state == .asking)
        var done = Self.sending()
        #expect(done.step(.key(.ctrl("q")), Self.facts(pending: 0)) == [.question(nil), .finish])
    }

    @Test func escapeWhileSendingGoesBackToEditing() {
        var q = Self.sending()
        #expect(q.step(.key(.escape), Self.facts(pending: 2)) == [.question(nil), .notify("Not quit: 2 edits still to send")])
        #expect(q.state == .idle)
    }

    @Test func sendingIgnoresOtherKeysAndResizes() {
        for key: Key in [.resize(width: 80, height: 24), .char("q"), .char("s"), .char("w"), .ctrl("c"), .enter] {
            var q = Self.sending()
            #expect(q.step(.key(key), Self.facts()) == [], "\(key)")
            #expect(q.state == .sending(until: 3_000_000_000))
        }
    }

    // MARK: asking

    @Test func askingIgnoresTicks() {
        var q = Self.asking()
        #expect(q.step(.tick, Self.facts(pending: 0)) == [])
        #expect(q.state == .asking)
    }

    @Test func waitWaitsThreeTimesLonger() {
        for key: Key in [.char("w"), .char("W")] {
            var q = Self.asking()
            #expect(q.step(.key(key), Self.facts()) == [.question(nil), .notify("Waiting for the edits to leave… (Esc: back to editing)")])
            #expect(q.state == .sending(until: 7_000_000_000))
        }
        var delivered = Self.asking()  // delivered meanwhile: the wait ends at once
        #expect(delivered.step(.key(.char("w")), Self.facts(pending: 0))
            == [.question(nil), .notify("Waiting for the edits to leave… (Esc: back to editing)"), .question(nil), .finish])
        #expect(delivered.state == .idle)
    }

    @Test func saveAsksForACopyThenFinishesWithItsPath() {
        for key: Key in [.char("s"), .char("S")] {
            var q = Self.asking()
            #expect(q.step(.key(key), Self.facts()) == [.saveCopy])
            #expect(q.state == .asking)
            #expect(q.step(.copySaved(path: "d/weave-copy-1.txt"), Self.facts())
                == [.exitNote("weave: the edits not yet sent were saved with the whole text in d/weave-copy-1.txt"), .question(nil), .finish])
            #expect(q.state == .idle)
        }
    }

    @Test func aCopyThatFailsIsSaidAndTheQuestionStays() {
        var q = Self.asking()
        _ = q.step(.key(.char("s")), Self.facts())
        #expect(q.step(.copyFailed("the disk is full"), Self.facts()) == [.notify("Could not save a copy: the disk is full")])
        #expect(q.state == .asking)
    }

    @Test func quitAnywayFinishes() {
        for key: Key in [.char("q"), .char("Q"), .ctrl("q")] {
            var q = Self.asking()
            #expect(q.step(.key(key), Self.facts()) == [.question(nil), .finish], "\(key)")
            #expect(q.state == .idle)
        }
    }

    @Test func escapeOrCtrlCWhileAskingGoesBackToEditing() {
        for key: Key in [.escape, .ctrl("c")] {
            var q = Self.asking()
            #expect(q.step(.key(key), Self.facts(pending: 1)) == [.question(nil), .notify("Not quit: 1 edit still to send")])
            #expect(q.state == .idle)
        }
    }

    @Test func askingIgnoresOtherKeysAndResizes() {
        for key: Key in [.resize(width: 80, height: 24), .char("x"), .enter, .ctrl("s")] {
            var q = Self.asking()
            #expect(q.step(.key(key), Self.facts()) == [], "\(key)")
            #expect(q.state == .asking)
        }
    }

    @Test func copyResultsOutsideAskingAreIgnored() {
        var q = Self.sending()
        #expect(q.step(.copySaved(path: "x"), Self.facts()) == [])
        #expect(q.step(.copyFailed("x"), Self.facts()) == [])
        #expect(q.state == .sending(until: 3_000_000_000))
    }
}
