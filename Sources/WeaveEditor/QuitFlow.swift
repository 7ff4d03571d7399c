/// Ctrl-Q in a shared session while some of this replica's edits are held by no
/// peer yet: a pure state machine (like `AuthStep`), fed the user's keys and the
/// delivery's news, answering with what the session must do. It does no I/O:
/// the session writes the copy (`Action.saveCopy`), then feeds back
/// `copySaved` or `copyFailed`.
///
/// States: `idle` (not quitting); `sending(until:)` (waiting, at most until
/// that monotonic time in ns, for a peer to acknowledge the edits); `asking`
/// (the question "w wait / s save a copy / q quit anyway / Esc edit" is shown).
///
/// Laws: every input is answered in O(1); `finish` is always preceded by
/// `question(nil)` and leaves the state `idle`; from `idle` only `quit` does
/// anything; a quit with nothing pending is always `passToEditor`; `tick`
/// matters only while `sending`.
public struct QuitFlow: Equatable, Sendable {
    public enum State: Equatable, Sendable {
        case idle
        case sending(until: UInt64)
        case asking

        /// `idle` by the name `PeerLink.Quitting` has always given it.
        public static var no: State { .idle }
    }

    public enum Input: Equatable, Sendable {
        /// Ctrl-Q in the editor's plain edit mode.
        case quit
        /// A peer acknowledged edits, or time passed (the `sending` deadline).
        case tick
        /// A key while quitting (the flow holds the keyboard then).
        case key(Key)
        /// The copy asked for by `saveCopy` was written at `path`.
        case copySaved(path: String)
        /// The copy could not be written: why, in words.
        case copyFailed(String)
    }

    /// What the session knows when an input arrives.
    public struct Facts: Equatable, Sendable {
        /// This replica's edits no peer has acknowledged.
        public var pending: Int
        /// Monotonic time, ns.
        public var now: UInt64
        /// Online with at least one peer connected (the edits can leave now).
        public var canSend: Bool
        /// Whether any peer is connected (said in the question).
        public var peerConnected: Bool
        /// The session has a file whose history keeps unsent edits for the next run.
        public var hasFile: Bool
        /// This side dials out (`weave join`): says who sends the edits next time.
        public var joiner: Bool
        /// Seconds to wait for acknowledgements before asking ("w" waits three times as long).
        public var wait: Double

        public init(pending: Int, now: UInt64, canSend: Bool, peerConnected: Bool, hasFile: Bool, joiner: Bool, wait: Double) {
            self.pending = pending
            self.now = now
            self.canSend = canSend
            self.peerConnected = peerConnected
            self.hasFile = hasFile
            self.joiner = joiner
            self.wait = wait
        }
    }

    public enum Action: Equatable, Sendable {
        /// Not the flow's business: the editor's own Ctrl-Q runs (only ever the answer to `quit`).
        case passToEditor
        /// A message for the message line.
        case notify(String)
        /// The question on the message line; nil clears it.
        case question(String?)
        /// Said on the terminal after the session ends.
        case exitNote(String)
        /// Write the whole text to a new file, then feed `copySaved` or `copyFailed`.
        case saveCopy
        /// End the session (or hand Ctrl-Q to the editor when it has a file).
        case finish
    }

    public private(set) var state: State = .idle

    public init() {}

    /// Performs one input and returns what the session must do, in order.
    public mutating func step(_ input: Input, _ facts: Facts) -> [Action] {
        switch (state, input) {
        case (.idle, .quit):
            guard facts.pending > 0 else { return [.passToEditor] }
            if facts.canSend {
                state = .sending(until: facts.now + UInt64(facts.wait * 1e9))
                return [.notify("Sending \(Self.edits(facts.pending)) before quitting… (Esc: back to editing)")]
            }
            if facts.hasFile {
                // Kept in the history, sent on the next join: said, not silent.
                let note = Self.unsentNote(facts.pending, joiner: facts.joiner)
                return [.exitNote(note), .notify(note), .passToEditor]
            }
            return ask(facts)
        case (.idle, _), (_, .quit):
            return []
        case (.sending, .tick):
            return check(facts)
        case (_, .key(.resize)):
            return []
        case (_, .key(.escape)), (.asking, .key(.ctrl("c"))):
            state = .idle
            return [.question(nil), .notify("Not quit: \(Self.edits(facts.pending)) still to send")]
        case (.sending, .key(.ctrl("q"))):
            state = .sending(until: 0)
            return check(facts)
        case (.asking, .key(.char("w"))), (.asking, .key(.char("W"))):
            state = .sending(until: facts.now + UInt64(facts.wait * 3e9))
            return [.question(nil), .notify("Waiting for the edits to leave… (Esc: back to editing)")] + check(facts)
        case (.asking, .key(.char("s"))), (.asking, .key(.char("S"))):
            return [.saveCopy]
        case (.asking, .key(.char("q"))), (.asking, .key(.char("Q"))), (.asking, .key(.ctrl("q"))):
            return finish()
        case (.asking, .copySaved(let path)):
            return [.exitNote("weave: the edits not yet sent were saved with the whole text in \(path)")] + finish()
        case (.asking, .copyFailed(let why)):
            return [.notify("Could not save a copy: \(why)")]
        default:
            return []
        }
    }

    /// Every edit acknowledged: finish; the wait is over: ask (in memory) or finish (the history keeps them).
    private mutating func check(_ facts: Facts) -> [Action] {
        if facts.pending == 0 { return finish() }
        guard case .sending(let until) = state, facts.now >= until else { return [] }
        if facts.hasFile { return [.exitNote(Self.unsentNote(facts.pending, joiner: facts.joiner))] + finish() }
        return ask(facts)
    }

    private mutating func ask(_ facts: Facts) -> [Action] {
        state = .asking
        return [.question("\(Self.edits(facts.pending)) not yet sent\(facts.peerConnected ? "" : " (no peer connected)"): "
            + "w wait / s save a copy / q quit anyway / Esc edit")]
    }

    private mutating func finish() -> [Action] {
        state = .idle
        return [.question(nil), .finish]
    }

    /// "1 edit", "3 edits".
    public static func edits(_ n: Int) -> String { "\(n) edit\(n == 1 ? "" : "s")" }

    /// Quitting with a file while some edits reached no peer: where they are and when they go.
    public static func unsentNote(_ n: Int, joiner: Bool) -> String {
        let them = n == 1 ? "it" : "them"
        return "weave: \(edits(n)) \(n == 1 ? "has" : "have") not reached anyone yet; the file's history keeps \(them) and "
            + (joiner ? "the next weave join sends \(them)" : "the next peer that joins gets \(them)")
    }
}
