import WeaveCore

/// Folding the manifest's *operations*, not its text (issue 29): a record is
/// accepted only as a whole line inserted by the replica it names as its
/// author, with a clock that replica could have reached, and nothing a peer
/// deletes or edits in the manifest changes the state.
///
/// Rules, each a function of the operation alone, so every replica that holds
/// the same operations accepts and refuses the same records, in any order:
///
/// - **Whole lines of one insert chain.** An insert's text is cut at each
///   "\n"; each piece ending in "\n" is one candidate record. The text before
///   an insert's first "\n" continues the same replica's unfinished line only
///   when the insert continues that chain (its first counter right after the
///   line's last element, and inserted after it), as an insert sent in pieces
///   does; otherwise the unfinished line is never a record.
/// - **The author is the writer.** The record's `author` must be the replica
///   of the operation that inserted it.
/// - **The clock is bounded by what the writer had seen.** The record's
///   lamport must be at most 1 + the RGA counter of its line's first element.
///   An RGA counter is a Lamport clock of the manifest (every local counter is
///   above every counter its replica saw); an honest writer stamps a record one
///   above the largest record lamport it folded, each of which (by induction)
///   is at most 1 + its own line's counter < the writer's counter + 1. So no
///   honest record is refused, and a forged one cannot jump to 2^64 − 1.
/// - **Deletions are ignored.** A delete in the manifest removes text, never a
///   record: the fold reads every insert, deleted or not. An "edited" line is
///   a delete (ignored) and an insert (a new candidate, judged as above).
/// - **The path passes `WorkspacePath.validate`** (`FolderRecord(line:)`).
///
/// Whatever is refused is listed once in `refusals`, with the reason, and
/// changes nothing (not even `lamport`).
extension FolderState {
    /// A manifest line or operation that was refused, and why.
    public struct Refusal: Hashable, Sendable, CustomStringConvertible {
        /// The first element of the refused line (for a delete: its replica and
        /// seq): the same on every replica, so a refusal is reported once.
        public var element: ElementID
        /// What was refused and why, with control characters escaped.
        public var reason: String
        /// A delete in the manifest (ignored), rather than a line.
        public var isDeletion = false
        public var description: String { reason }
    }

    /// A line whose end has not arrived yet (one replica's chain).
    struct PendingLine: Sendable {
        var text: [Unicode.Scalar]
        var first: UInt32
        var next: UInt32
    }

    /// The state folded from the manifest's operations (all of them: deleted
    /// text included; see the rules above). O(operations' text) plus one
    /// derivation.
    public init(operations: some Sequence<Operation>) {
        apply(operations: operations)
    }

    /// Folds the records the operations insert, refusing what breaks a rule
    /// (listed in `refusals`). Give a replica's operations in its order (as a
    /// log or `operations(since:)` does). Returns whether the state changed.
    @discardableResult
    public mutating func apply(operations: some Sequence<Operation>) -> Bool {
        var changed = false
        for op in operations {
            switch op.body {
            case .delete(let runs):
                guard runs.first != nil, refusedDeletes.insert(ElementID(counter: op.seq, replica: op.replica)).inserted else { continue }
                refusals.append(Refusal(element: ElementID(counter: op.seq, replica: op.replica), reason: "a peer (replica \(op.replica)) deleted part of the folder's records; records are only ever added, so nothing changed", isDeletion: true))
            case .insert(let after, let text):
                var line: [Unicode.Scalar]
                var first: UInt32
                if let p = pending[op.replica], p.next == op.counter,
                   after == ElementID(counter: p.next &- 1, replica: op.replica) {
                    line = p.text
                    first = p.first
                } else {
                    line = []
                    first = op.counter
                }
                pending[op.replica] = nil
                for (i, s) in text.enumerated() {
                    if line.isEmpty { first = op.counter &+ UInt32(i) }
                    line.append(s)
                    if s == "\n" {
                        if foldLine(line, first: first, writer: op.replica) { changed = true }
                        line = []
                    }
                }
                if !line.isEmpty {
                    pending[op.replica] = PendingLine(text: line, first: first, next: op.counter &+ UInt32(text.count))
                }
            }
        }
        if changed { derive() }
        return changed
    }

    /// Judges one whole line inserted by `writer`, its first element's counter
    /// `first`; folds it when it passes. Returns whether the state changed.
    mutating func foldLine(_ scalars: [Unicode.Scalar], first: UInt32, writer: ReplicaID) -> Bool {
        let element = ElementID(counter: first, replica: writer)
        guard !judged.contains(element) else { return false }
        judged.insert(element)
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars)
        guard let record = FolderRecord(parsing: Substring(text)) else {
            refuse(element, "a folder record from replica \(writer) was refused: \(FolderRecord.whyNot(text))")
            return false
        }
        if record.author != writer {
            refuse(element, "a folder record (\(record.kind.rawValue) \(WorkspaceError.shown(record.path))) names \(FolderRecord.hex16(record.author.rawValue)) as its author but was written by replica \(FolderRecord.hex16(writer.rawValue)): refused")
            return false
        }
        let bound = UInt64(first) + 1
        if record.lamport > bound {
            refuse(element, "a folder record (\(record.kind.rawValue) \(WorkspaceError.shown(record.path))) from replica \(FolderRecord.hex16(writer.rawValue)) has clock \(record.lamport), beyond anything its writer could have seen (at most \(bound)): refused")
            return false
        }
        return fold(record)
    }

    mutating func refuse(_ element: ElementID, _ reason: String) {
        refusals.append(Refusal(element: element, reason: reason))
    }
}

extension FolderRecord {
    /// Why `line` is not a record, in the user's words (control characters
    /// escaped). O(line).
    static func whyNot(_ line: String) -> String {
        var body = Substring(line)
        if body.last == "\n" { body = body.dropLast() }
        let fields = body.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false)
        guard fields.count == 5 else { return "'\(WorkspaceError.shown(String(body)))' is not a record line" }
        if Kind(rawValue: String(fields[0])) == nil { return "unknown kind '\(WorkspaceError.shown(String(fields[0])))'" }
        do { _ = try WorkspacePath.validate(String(fields[4])) } catch { return error.description }
        return "'\(WorkspaceError.shown(String(body)))' is not a record line"
    }
}
