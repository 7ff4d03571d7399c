import WeaveCore

/// A shared folder's state: which files exist and under which paths, folded
/// from the manifest's records (docs/WORKSPACES.md, "The folder's state").
///
/// Each document is a last-writer-wins register over `WriteStamp` (lamport,
/// then author) holding its path and whether it is deleted: `create`,
/// `rename` and `restore` set the path and make the file live; `delete` makes
/// it deleted and keeps the path it had.
///
/// Laws (checked by the tests): the state depends only on the *set* of
/// records folded, never on their order; folding a record twice changes
/// nothing; records of one document with equal stamps are one write (should
/// two different records share a stamp, which only a forged line can do, the
/// larger by kind, then path bytes, wins, so replicas still agree).
///
/// Costs, with n documents: folding a record O(path) plus, when it changed
/// the state, O(n log n) to re-derive the shown names and sorted lists (see
/// FolderState+Names.swift); folding a text of r records O(text) plus one
/// derivation. Queries are O(1) or O(log n) on the cached derivation.
public struct FolderState: Sendable {
    /// One file of the folder, as the state shows it.
    public struct Entry: Equatable, Sendable {
        public var document: DocumentID
        /// The path shown and written on disk: `storedPath`, or its conflict
        /// name when other live files want the same path (FolderState+Names.swift).
        public var path: String
        /// The path the document's register holds (for a deleted file, the
        /// path it had).
        public var storedPath: String
        public var deleted: Bool
        /// The earliest write seen for the document: its `create` once that
        /// arrived (every later write of it saw the create, so comes after).
        public var created: WriteStamp
        /// The write the register holds: the one that set `storedPath` and
        /// `deleted`. Conflicts are ordered by it.
        public var written: WriteStamp

        /// Whether `path` is a conflict name rather than `storedPath`.
        public var isRenamedForConflict: Bool { !path.utf8.elementsEqual(storedPath.utf8) }
    }

    /// A document's last-writer-wins register.
    struct Register: Sendable {
        var written: WriteStamp
        var kind: FolderRecord.Kind
        var path: String
        var created: WriteStamp

        var deleted: Bool { kind == .delete }
    }

    var registers: [DocumentID: Register] = [:]

    /// The largest lamport of every record folded (winning or not); new
    /// records are stamped one above it.
    public private(set) var lamport: UInt64 = 0

    /// Lines that did not parse, over every `init(text:)` and `apply(text:)`
    /// so far (a line from a newer Weave with a kind this one does not know
    /// lands here too, and is otherwise ignored).
    public private(set) var skippedLines = 0

    /// Records and operations refused by `apply(operations:)`, each once, in
    /// the order met (FolderState+Operations.swift).
    public internal(set) var refusals: [Refusal] = []
    /// Each replica's line still arriving (`apply(operations:)`).
    var pending: [ReplicaID: PendingLine] = [:]
    /// The first element of every whole line judged, accepted or not.
    var judged: Set<ElementID> = []
    /// Deletes refused, by (seq, replica).
    var refusedDeletes: Set<ElementID> = []

    /// What `files`, `all` and the lookups read: derived from `registers`
    /// after each change (FolderState+Names.swift).
    var derived = Derived()

    /// An empty folder.
    public init() {}

    /// The state folded from a manifest's whole text; see `apply(text:)`.
    /// O(text) plus one derivation, O(n log n).
    public init(text: String) {
        apply(text: text)
    }

    // MARK: Folding

    /// Folds one record. Idempotent and order-independent (see the type's
    /// laws). Returns whether the state changed (a duplicate or a write older
    /// than the register's changes nothing but, perhaps, `lamport`).
    /// O(path), plus O(n log n) when it changed the state.
    @discardableResult
    public mutating func apply(_ record: FolderRecord) -> Bool {
        let changed = fold(record)
        if changed { derive() }
        return changed
    }

    /// Folds every whole line of `text` (each ending in "\n"); lines that do
    /// not parse are skipped and counted in `skippedLines`. A last line
    /// without its "\n" is left alone, not counted: it may still be arriving.
    /// Idempotent: folding a manifest's text again, or a longer version of
    /// it, folds only what is new in effect. Returns whether the state changed.
    /// O(text) plus, when it changed the state, one derivation O(n log n).
    ///
    /// Fold only text whose lines are whole records: the manifest's text when
    /// every record arrived as the one operation that appended it. An insert
    /// delivered in pieces can leave half a line glued to the next one for a
    /// while, and a fold of that would keep what it read; `FolderState(text:)`
    /// of the current text is right in every case.
    @discardableResult
    public mutating func apply(text: String) -> Bool {
        var changed = false
        let u = text.utf8
        var start = u.startIndex
        while let end = u[start...].firstIndex(of: FolderRecord.newline) {
            if let record = FolderRecord(parsing: Substring(u[start ..< end])) {
                if fold(record) { changed = true }
            } else {
                skippedLines += 1
            }
            start = u.index(after: end)
        }
        if changed { derive() }
        return changed
    }

    /// Folds `record` into its document's register without re-deriving.
    /// Returns whether the register changed. O(path).
    mutating func fold(_ record: FolderRecord) -> Bool {
        if record.lamport > lamport { lamport = record.lamport }
        let stamp = record.stamp
        guard var r = registers[record.document] else {
            registers[record.document] = Register(written: stamp, kind: record.kind, path: record.path, created: stamp)
            return true
        }
        var changed = false
        if stamp < r.created { r.created = stamp; changed = true }
        if Self.wins(record, over: r) {
            r.written = stamp
            r.kind = record.kind
            r.path = record.path
            changed = true
        }
        if changed { registers[record.document] = r }
        return changed
    }

    /// Whether `record` replaces what `r` holds: a later stamp; for equal
    /// stamps (a forged duplicate) the larger kind, then the larger path by
    /// bytes, so that the fold stays a maximum and order-independent. False
    /// for the same write. O(path).
    static func wins(_ record: FolderRecord, over r: Register) -> Bool {
        if record.stamp != r.written { return r.written < record.stamp }
        let a = Self.rank(record.kind), b = Self.rank(r.kind)
        if a != b { return a > b }
        return r.path.utf8.lexicographicallyPrecedes(record.path.utf8)
    }

    static func rank(_ kind: FolderRecord.Kind) -> Int {
        FolderRecord.Kind.allCases.firstIndex(of: kind)!
    }

    // MARK: Queries

    /// Live files, sorted by shown path name by name (`WorkspacePath.precedes`).
    /// Shown paths are unique. O(1) (cached).
    public var files: [Entry] { derived.files }

    /// Every document ever created, deleted ones included, sorted as `files`
    /// (then by document for equal paths). O(1) (cached).
    public var all: [Entry] { derived.all }

    /// The document's entry, live or deleted; nil when no record names it. O(1).
    public func entry(_ document: DocumentID) -> Entry? {
        derived.index[document].map { derived.all[$0] }
    }

    /// The live document shown at `path`, or nil. O(path).
    public func document(at path: String) -> DocumentID? {
        derived.byShownPath[path]
    }

    /// Whether the document is known and live. O(1).
    public func isLive(_ document: DocumentID) -> Bool {
        registers[document].map { !$0.deleted } ?? false
    }
}
