import WeaveCore
import WeaveEditor

/// A place in an editor's buffer: line and column from 0, the column counted
/// in Unicode scalars (what Weave's core counts; docs/EDITORS.md says how a
/// plugin converts its own columns).
public struct BridgePosition: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) { (self.line, self.column) = (line, column) }
    public var description: String { "\(line):\(column)" }
}

/// One change of a buffer: the text from `start` up to `end` replaced by
/// `text`. A list of changes applies in order, each to the buffer the one
/// before left.
public struct BridgeChange: Hashable, Sendable, CustomStringConvertible {
    public var start: BridgePosition
    public var end: BridgePosition
    public var text: String
    public init(start: BridgePosition, end: BridgePosition, text: String) { (self.start, self.end, self.text) = (start, end, text) }
    public var description: String { "\(start)-\(end) \(text.debugDescription)" }
}

/// An editor's buffer as the client believes it to be: the IDs of the
/// elements it shows, in document order, with their scalars.
struct EditorView: Equatable {
    var ids: [ElementID] = []
    var scalars: [Unicode.Scalar] = []

    /// An empty buffer.
    init() {}

    /// The elements `doc` shows. O(elements, tombstones included).
    init(visibleIn doc: RGA) {
        doc.forEachElement { e in
            if e.deletedBy == nil { ids.append(e.id); scalars.append(e.scalar) }
        }
    }

    /// The scalar offset of `p`; nil past the end of its line or of the buffer
    /// (a position at the end of a line, before its `\n`, is in range). O(n).
    func offset(of p: BridgePosition) -> Int? {
        guard p.line >= 0, p.column >= 0 else { return nil }
        var line = 0, i = 0
        while line < p.line {
            guard let nl = scalars[i...].firstIndex(of: "\n") else { return nil }
            i = nl + 1
            line += 1
        }
        let lineEnd = scalars[i...].firstIndex(of: "\n") ?? scalars.count
        return i + p.column <= lineEnd ? i + p.column : nil
    }

    /// The position of scalar offset `o` (0 ... count). O(o).
    func position(of o: Int) -> BridgePosition {
        var line = 0, lineStart = 0
        for i in 0 ..< o where scalars[i] == "\n" { line += 1; lineStart = i + 1 }
        return BridgePosition(line: line, column: o - lineStart)
    }
}

/// The editor protocol's reconciliation of one document (docs/EDITORS.md,
/// "Revisions"): the editor's changes become operations of the CRDT, and the
/// document's changes (peers' edits) become changes for the editor, without
/// either side transforming positions.
///
/// Both sides count what they sent: the editor its edits (`editorRevision`),
/// the client its changes (`clientRevision`). An editor edit names the client
/// revision its buffer was at; the client keeps the buffer it believes the
/// editor had at each revision it sent since the editor's last edit (as
/// element IDs), so the edit's positions resolve to the elements the editor
/// saw, and the CRDT merges them with whatever peers did meanwhile. A client
/// change names the editor revision it was computed for; the editor applies
/// it only when it has sent no edit since (else it drops it: the client then
/// knows, from the next edit's revision, what the editor holds, and sends
/// the difference again). So nothing is lost or applied twice, and the
/// editor needs no transformation of its own.
///
/// Laws (tested against a plain model, `BridgePropertyTests`): after any
/// interleaving of editor edits and peers' operations, once both sides stop,
/// the editor's buffer equals the document's text; every editor edit's text
/// is in the document unless a peer deleted it.
public struct BridgeDocument {
    /// Why an editor's edit was refused (nothing of it applied).
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unknownRevision(Int, latest: Int)
        case outOfRange(BridgePosition)
        case endBeforeStart(BridgePosition, BridgePosition)

        public var description: String {
            switch self {
            case .unknownRevision(let r, let latest): return "revision \(r) is not one this client sent (the latest is \(latest))"
            case .outOfRange(let p): return "position \(p) is past the end of its line or of the buffer"
            case .endBeforeStart(let s, let e): return "a change ends (\(e)) before it starts (\(s))"
            }
        }
    }

    /// The editor's edits taken so far.
    public private(set) var editorRevision = 0
    /// The client's changes sent so far.
    public private(set) var clientRevision = 0
    /// The editor's buffer after its last edit (at client revision `confirmedAt`).
    private var confirmed: EditorView
    private var confirmedAt = 0
    /// The buffer after each change sent since the editor's last edit.
    private var sent: [(revision: Int, view: EditorView)] = []
    /// The document's version when the editor (once it applied every change
    /// sent) was last known to show it; nil when not known.
    private var syncedVersion: VersionVector?

    /// The editor starts showing `doc`'s text (the client sends it with the
    /// reply to `open`). O(elements).
    public init(showing doc: RGA) {
        confirmed = EditorView(visibleIn: doc)
        syncedVersion = doc.version
    }

    /// The text the editor is believed to show once it applied every change sent.
    public var editorText: String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: latest.scalars)
        return String(s)
    }

    private var latest: EditorView { sent.last?.view ?? confirmed }

    /// Applies an editor edit: `changes`, in order, made to the buffer the
    /// editor had at client revision `revision`. Every change is checked
    /// before any applies. Returns the local operations (to record and send).
    /// O(position) to find a change's place, plus O(n) memory moves of the
    /// believed buffer (n its size); no walk of the document.
    public mutating func take(_ changes: [BridgeChange], revision: Int, into doc: inout DocumentEditing) throws(Failure) -> [Operation] {
        var view: EditorView
        if revision <= confirmedAt && revision >= 0 {
            view = confirmed
        } else if let s = sent.first(where: { $0.revision == revision }) {
            view = s.view
        } else {
            throw .unknownRevision(revision, latest: clientRevision)
        }
        // The editor saw everything sent, and the document did not move since:
        // after this edit the editor shows the document again.
        let stillSynced = revision == clientRevision && syncedVersion == doc.rga.version
        // Check the whole edit first: on a refusal nothing is applied. One
        // change (typing) is checked in place; several on a scratch copy.
        var resolved: [(Int, Int, [Unicode.Scalar])] = []
        if changes.count == 1 {
            let c = changes[0]
            guard let a = view.offset(of: c.start) else { throw .outOfRange(c.start) }
            guard let b = view.offset(of: c.end) else { throw .outOfRange(c.end) }
            guard a <= b else { throw .endBeforeStart(c.start, c.end) }
            resolved.append((a, b, Array(c.text.unicodeScalars)))
        } else {
            var check = view
            for c in changes {
                guard let a = check.offset(of: c.start) else { throw .outOfRange(c.start) }
                guard let b = check.offset(of: c.end) else { throw .outOfRange(c.end) }
                guard a <= b else { throw .endBeforeStart(c.start, c.end) }
                let text = Array(c.text.unicodeScalars)
                check.scalars.replaceSubrange(a ..< b, with: text)
                check.ids.replaceSubrange(a ..< b, with: repeatElement(ElementID(counter: 0, replica: ReplicaID(0)), count: text.count))
                resolved.append((a, b, text))
            }
        }
        // `view` is the only holder from here (no copy of the buffer per key).
        confirmed = EditorView()
        sent = []
        var ops: [Operation] = []
        for (a, b, text) in resolved {
            ops += Self.delete(view.ids[a ..< b], from: &doc)
            var fresh: [ElementID] = []
            if !text.isEmpty {
                let (op, ids, _) = doc.insert(text, after: a > 0 ? view.ids[a - 1] : nil)
                ops.append(op)
                fresh = ids
            }
            view.ids.replaceSubrange(a ..< b, with: fresh)
            view.scalars.replaceSubrange(a ..< b, with: text)
        }
        confirmed = view
        confirmedAt = clientRevision
        editorRevision += 1
        syncedVersion = stillSynced ? doc.rga.version : nil
        return ops
    }

    /// Deletes the elements of `ids` that `doc` still shows, a run of
    /// neighbours at a time, from the end. O(k log n).
    private static func delete(_ ids: ArraySlice<ElementID>, from doc: inout DocumentEditing) -> [Operation] {
        let visible = ids.compactMap { id -> Int? in
            guard let (i, shown) = doc.rga.index(of: id), shown else { return nil }
            return i
        }.sorted()
        var ops: [Operation] = []
        var end = visible.count
        while end > 0 {
            var start = end - 1
            while start > 0 && visible[start - 1] == visible[start] - 1 { start -= 1 }
            let (op, _, _) = doc.delete(at: visible[start], length: end - start)
            ops.append(op)
            end = start
        }
        return ops
    }

    /// The changes that make the editor show `doc` (nil when it already
    /// does), as client revision `revision`, for the editor at
    /// `editorRevision`. Call after every editor edit and every batch of
    /// peers' operations. O(replicas) when only the editor changed the
    /// document since the last call; else O(elements), tombstones included.
    public mutating func catchUp(_ doc: RGA) -> (revision: Int, editorRevision: Int, changes: [BridgeChange])? {
        if syncedVersion == doc.version { return nil }  // O(replicas): typing alone never walks the document
        let from = latest
        if let quick = Self.oneStretch(from: from, to: doc) {
            // A peer's key: one changed stretch, found by comparing texts.
            syncedVersion = doc.version
            guard let (change, view) = quick else { return nil }
            clientRevision += 1
            sent.append((clientRevision, view))
            return (clientRevision, editorRevision, [change])
        }
        let truth = EditorView(visibleIn: doc)
        syncedVersion = doc.version
        guard truth.ids != from.ids else { return nil }
        let changes = Self.difference(from: from, to: truth, in: doc)
        clientRevision += 1
        sent.append((clientRevision, truth))
        return (clientRevision, editorRevision, changes)
    }

    /// The change from `a` to what `doc` shows when it is one stretch whose
    /// ends are the same elements in both: the texts' common prefix and
    /// suffix, with the elements just outside the stretch checked to be the
    /// same in `a` and in `doc` (else nil: the caller walks the document).
    /// `.some(nil)`: nothing changed. O(n) scalar comparisons and one copy of
    /// the believed buffer, plus O(k log n) for the stretch's k elements: no
    /// walk of the document's elements and tombstones.
    static func oneStretch(from a: EditorView, to doc: RGA) -> ((BridgeChange, EditorView)?)? {
        let text = doc.visibleScalars
        let n = a.scalars.count, m = text.count
        var p = 0
        while p < n && p < m && a.scalars[p] == text[p] { p += 1 }
        var s = 0
        while s < n - p && s < m - p && a.scalars[n - 1 - s] == text[m - 1 - s] { s += 1 }
        if p == n && p == m { return a.ids.isEmpty || (a.ids.first == doc.id(at: 0) && a.ids.last == doc.id(at: m - 1)) ? .some(nil) : nil }
        // The elements around the stretch must be the ones the editor shows.
        if p > 0 && a.ids[p - 1] != doc.id(at: p - 1) { return nil }
        if s > 0 && a.ids[n - s] != doc.id(at: m - s) { return nil }
        if p > 0 && a.ids[0] != doc.id(at: 0) { return nil }
        if s > 0 && a.ids[n - 1] != doc.id(at: m - 1) { return nil }
        var view = a
        let middle = p ..< m - s
        view.ids.replaceSubrange(p ..< n - s, with: middle.map { doc.id(at: $0) })
        view.scalars.replaceSubrange(p ..< n - s, with: middle.map { text[$0] })
        var inserted = String.UnicodeScalarView()
        inserted.append(contentsOf: middle.map { text[$0] })
        let change = BridgeChange(start: a.position(of: p), end: a.position(of: n - s), text: String(inserted))
        return .some((change, view))
    }

    /// The changes from `a` to `b` (both in document order, `b` what `doc`
    /// shows), last first, so each is in `a`'s positions. An element of `a`
    /// that is not where `b` continues is looked up in `doc` (shown there:
    /// `b`'s element is new; not shown: `a`'s was deleted), so the cost is
    /// O(|a| + |b|) comparisons plus O(changed · log n), with no set of IDs.
    static func difference(from a: EditorView, to b: EditorView, in doc: RGA) -> [BridgeChange] {
        var runs: [(start: Int, end: Int, text: [Unicode.Scalar])] = []
        var i = 0, j = 0
        func touch(_ at: Int) {
            if runs.last?.end != at { runs.append((at, at, [])) }
        }
        while i < a.ids.count || j < b.ids.count {
            if i < a.ids.count && j < b.ids.count && a.ids[i] == b.ids[j] { i += 1; j += 1; continue }
            if i < a.ids.count && (j == b.ids.count || doc.index(of: a.ids[i])?.visible != true) {
                touch(i)
                runs[runs.count - 1].end = i + 1
                i += 1
                continue
            }
            touch(i)
            runs[runs.count - 1].text.append(b.scalars[j])
            j += 1
        }
        // Positions in one pass over `a`.
        var positions: [Int: BridgePosition] = [:]
        var wanted = Set(runs.flatMap { [$0.start, $0.end] })
        var line = 0, lineStart = 0
        for o in 0 ... a.scalars.count where !wanted.isEmpty {
            if wanted.remove(o) != nil { positions[o] = BridgePosition(line: line, column: o - lineStart) }
            if o < a.scalars.count && a.scalars[o] == "\n" { line += 1; lineStart = o + 1 }
        }
        return runs.reversed().map { r in
            var s = String.UnicodeScalarView()
            s.append(contentsOf: r.text)
            return BridgeChange(start: positions[r.start]!, end: positions[r.end]!, text: String(s))
        }
    }

    /// Where the editor shows the document's cursor index `index` (call
    /// right after `catchUp`, when the editor is believed to show the
    /// document). O(n).
    public func position(ofIndex index: Int) -> BridgePosition {
        let view = latest
        return view.position(of: max(0, min(index, view.scalars.count)))
    }

    /// The document index of the editor's position `p` at client revision
    /// `revision` (for the editor's cursor); nil when out of range. O(n).
    public func documentIndex(of p: BridgePosition, revision: Int, in doc: RGA) -> Int? {
        let view = revision <= confirmedAt ? confirmed : (sent.first { $0.revision == revision }?.view ?? latest)
        guard let o = view.offset(of: p) else { return nil }
        if o == view.ids.count { return o == 0 ? 0 : doc.cursorIndex(after: view.ids[o - 1]) }
        return doc.index(of: view.ids[o])?.index
    }
}
