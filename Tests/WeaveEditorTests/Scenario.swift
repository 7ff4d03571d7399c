import Testing
import WeaveCore
@testable import WeaveEditor

/// Test notation: text with `|` marking the cursor.
func parseMarked(_ marked: String) -> (text: String, cursor: Int) {
    var scalars: [Unicode.Scalar] = []
    var cursor = 0
    for u in marked.unicodeScalars {
        if u == "|" { cursor = scalars.count } else { scalars.append(u) }
    }
    return (String(String.UnicodeScalarView(scalars)), cursor)
}

/// The editor's text with `|` at the cursor.
func marked(_ e: Editor) -> String {
    var s = e.buffer.scalars
    s.insert("|", at: e.cursor)
    return String(String.UnicodeScalarView(s))
}

/// An editor on `marked` text, cursor at the marker.
func makeEditor(_ markedText: String, width: Int = 80, height: Int = 24,
                replica: ReplicaID = ReplicaID(1)) -> Editor {
    let (text, cursor) = parseMarked(markedText)
    var e = Editor(fileName: "test.txt", text: text, replica: replica, size: .init(width: width, height: height))
    e.setCursor(cursor)
    e.followCursor()
    return e
}

/// "Given this text and cursor, these keys give that text and cursor", with
/// invariants checked after every key.
func scenario(_ before: String, _ keys: [Key], _ after: String, width: Int = 80, height: Int = 24,
              sourceLocation: SourceLocation = #_sourceLocation) {
    var e = makeEditor(before, width: width, height: height)
    for k in keys {
        _ = e.handle(k)
        do { try e.checkInvariants() } catch {
            Issue.record("invariant after \(k): \(error)", sourceLocation: sourceLocation)
            return
        }
    }
    #expect(marked(e) == after, sourceLocation: sourceLocation)
}

/// Keys for typing `s`.
func typing(_ s: String) -> [Key] {
    s.unicodeScalars.map { $0 == "\n" ? .enter : .char($0) }
}
