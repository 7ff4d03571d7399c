import WeaveEditor

/// The classic cases the demo can show.
public enum DemoScenario: String, CaseIterable, Sendable {
    /// Both edit the same sentence at the same place while offline.
    case samePosition = "same-position"
    /// One deletes a phrase while the other types inside it.
    case deletedRange = "deleted-range"
    /// Both type backwards at one place: RGA's known interleaving.
    case backward

    public var title: String {
        switch self {
        case .samePosition: return "same position"
        case .deletedRange: return "insert into a deleted range"
        case .backward: return "backward typing (RGA interleaves)"
        }
    }
}

/// One step of the demo's script.
public enum DemoAction: Equatable, Sendable {
    /// A keystroke in pane `pane`, as if typed there.
    case key(pane: Int, Key)
    /// Cut (false) or heal (true) every link.
    case setOnline(Bool)
    /// Show a line on the banner and give the viewer a moment to read it.
    case say(String)
    /// Wait this many seconds (at speed 1).
    case wait(Double)
    /// Wait until every pane shows the same text (bounded).
    case waitConverged
    /// Open the time-travel pane on the first replica's history and play it.
    case replayHistory
    /// Wait until the replay has played to its end (bounded).
    case waitReplay
}

/// The scripts, as plain data: tests read them, the runner plays them.
public enum DemoScript {
    static func type(_ pane: Int, _ text: String) -> [DemoAction] {
        text.unicodeScalars.map { .key(pane: pane, $0 == "\n" ? .enter : .char($0)) }
    }

    /// Moves pane's cursor to just after the first `n` characters.
    static func moveTo(_ pane: Int, _ n: Int) -> [DemoAction] {
        [.key(pane: pane, .ctrlHome)] + Array(repeating: .key(pane: pane, .right), count: n)
    }

    /// Types `text` backwards at the cursor: each key before the previous one.
    static func typeBackwards(_ pane: Int, _ text: String) -> [DemoAction] {
        var out: [DemoAction] = []
        for (i, c) in text.unicodeScalars.reversed().enumerated() {
            if i > 0 { out.append(.key(pane: pane, .left)) }
            out.append(.key(pane: pane, .char(c)))
        }
        return out
    }

    /// What each pane adds while offline, by pane.
    static let words = ["brown ", "red ", "sly "]
    static let backwardWords = ["abc", "xyz", "123"]

    /// What the merged text shows and the rule behind it, said once the
    /// replicas converged after the link healed.
    static func explanation(_ scenario: DemoScenario, peers: Int) -> [String] {
        switch scenario {
        case .samePosition:
            return ["Each replica's word stays whole; the words' order is the same everywhere."]
        case .deletedRange:
            return ["Rule: a delete removes only the characters it saw; text typed into them",
                    "while offline survives, so the merged text keeps \(deletedRangeSurvivors(peers: peers))."]
        case .backward:
            return ["Expected: RGA shows \(backwardInterleaving(peers: peers)), the words interleaved, on every replica.",
                    "Why: each key went in after the same character, and RGA orders such",
                    "siblings newest first (ties by replica): equal-aged keys alternate."]
        }
    }

    /// What the deleted-range scenario's typists add inside the deleted phrase.
    static func deletedRangeSurvivors(peers: Int) -> String {
        peers == 2 ? "\"entire\"" : "\"entire\" and \"big\""
    }

    /// The text RGA makes of `backwardWords` typed backwards at one place by
    /// `peers` replicas: every key is a child of the same element, ordered by
    /// descending (counter, replica); each replica's k-th letter of its word
    /// was typed at the same counter, and replica IDs grow with the pane, so
    /// the letters come position by position, last pane first ("1xa2yb3zc").
    /// Computed from that rule, not read from a run. O(peers × 3).
    public static func backwardInterleaving(peers: Int) -> String {
        var out = ""
        for k in 0 ..< 3 {
            for p in (0 ..< peers).reversed() {
                out.unicodeScalars.append(Array(backwardWords[p].unicodeScalars)[k])
            }
        }
        return out
    }

    public static func make(_ scenario: DemoScenario, peers: Int) -> [DemoAction] {
        precondition(peers >= 2 && peers <= 3)
        var s: [DemoAction] = []
        s.append(.say("\(peers) replicas, each a real editor, linked over loopback TCP, type together."))
        switch scenario {
        case .samePosition, .backward:
            s += type(0, "The quick fox jumps.")
        case .deletedRange:
            s += type(0, "Remove this whole phrase.")
        }
        s.append(.waitConverged)
        s += [.key(pane: 1, .ctrlEnd)] + type(1, "\nB was here.")
        s.append(.waitConverged)
        s.append(.setOnline(false))
        switch scenario {
        case .samePosition:
            s.append(.say("Link cut! Each replica edits the same sentence at the same place."))
            for p in 0 ..< peers { s += moveTo(p, 10) + type(p, words[p]) }
        case .deletedRange:
            s.append(.say("Link cut! One deletes \"this whole \" while the other types inside it."))
            s += moveTo(0, 7) + Array(repeating: .key(pane: 0, .delete), count: 11)
            for p in 1 ..< peers { s += moveTo(p, 12) + type(p, p == 1 ? "entire " : "big ") }
        case .backward:
            s.append(.say("Link cut! Each replica types backwards at one place (each key before the last)."))
            for p in 0 ..< peers { s += moveTo(p, 4) + typeBackwards(p, backwardWords[p]) }
        }
        s.append(.wait(1))
        s.append(.say("Link healed: each side sends exactly what the other lacks."))
        s.append(.setOnline(true))
        s.append(.waitConverged)
        s += explanation(scenario, peers: peers).map { .say($0) }
        s.append(.wait(1.5))
        s.append(.say("The time-travel pane replays the merged history; ⑂ marks the concurrent edits."))
        s.append(.replayHistory)
        s.append(.waitReplay)
        s.append(.say("Done. Tab takes over a pane, Space pauses (n steps), F1 help, q quits."))
        return s
    }
}
