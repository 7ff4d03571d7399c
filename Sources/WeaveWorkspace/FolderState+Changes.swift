import WeaveCore

/// Making changes: each method returns a NEW record stamped one above every
/// lamport seen, and applies nothing. The caller appends the record's `line`
/// at the end of the manifest (one insert) and then `apply`s the record, so
/// its own state and every peer's fold the same line.
///
/// Each throws a `WorkspaceError` when the change cannot be shared: an
/// invalid path, `DocumentID.main`, or (but for `create`) a document no
/// record names. O(path).
extension FolderState {
    /// The lamport for the next record: one above every lamport seen.
    /// Saturates at `UInt64.max` (reachable only through a forged record;
    /// writes then tie on lamport and the author decides).
    public var nextLamport: UInt64 { lamport == .max ? .max : lamport + 1 }

    /// A record creating `document` at `path`. A path that a live file holds
    /// already is allowed: both files stay, one of them shown under a
    /// conflict name (FolderState+Names.swift). Creating a document that
    /// exists acts as a restore to `path`.
    public func create(path: String, document: DocumentID, author: ReplicaID) throws(WorkspaceError) -> FolderRecord {
        try record(.create, document, path, author, mustExist: false)
    }

    /// A record moving `document` to `path` (a deleted document comes back
    /// there: a rename sets the path and makes the file live).
    public func rename(_ document: DocumentID, to path: String, author: ReplicaID) throws(WorkspaceError) -> FolderRecord {
        try record(.rename, document, path, author, mustExist: true)
    }

    /// A record deleting `document`; it carries the path the file has now.
    public func delete(_ document: DocumentID, author: ReplicaID) throws(WorkspaceError) -> FolderRecord {
        guard let r = registers[document] else {
            throw document == .main ? .reservedDocument : .unknownDocument(document)
        }
        return FolderRecord(kind: .delete, document: document, lamport: nextLamport, author: author, path: r.path)
    }

    /// A record bringing `document` back, live, at `path`.
    public func restore(_ document: DocumentID, path: String, author: ReplicaID) throws(WorkspaceError) -> FolderRecord {
        try record(.restore, document, path, author, mustExist: true)
    }

    private func record(_ kind: FolderRecord.Kind, _ document: DocumentID, _ path: String, _ author: ReplicaID,
                        mustExist: Bool) throws(WorkspaceError) -> FolderRecord {
        if document == .main { throw .reservedDocument }
        let path = try WorkspacePath.validate(path)
        if mustExist && registers[document] == nil { throw .unknownDocument(document) }
        return FolderRecord(kind: kind, document: document, lamport: nextLamport, author: author, path: path)
    }
}
