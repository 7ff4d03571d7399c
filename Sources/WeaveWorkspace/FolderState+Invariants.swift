import WeaveCore

/// A broken invariant of `FolderState`: a bug in WeaveWorkspace, never the
/// user's doing (whatever the records say, these hold).
public struct FolderStateViolation: Error, CustomStringConvertible {
    public var description: String
}

extension FolderState {
    /// Checks every invariant of the state against its registers; throws the
    /// first one broken. O(n log n).
    ///
    /// - `all` has one entry per register, sorted by shown path name by name
    ///   (then document), and `entry(_:)` finds each;
    /// - `files` is `all` without the deleted entries;
    /// - a deleted entry shows its stored path; a live one its stored path or
    ///   a conflict name of it, in the same folder;
    /// - shown paths of live files are unique, none is a folder of another,
    ///   and `document(at:)` finds each;
    /// - `lamport` is at least every register's stamp.
    public func checkInvariants() throws {
        func fail(_ s: String) -> FolderStateViolation { FolderStateViolation(description: s) }
        if derived.all.count != registers.count { throw fail("all has \(derived.all.count) entries, \(registers.count) registers") }
        for (i, e) in derived.all.enumerated() {
            guard let r = registers[e.document] else { throw fail("\(e.document) is listed but has no register") }
            if e.storedPath != r.path || e.deleted != r.deleted || e.written != r.written || e.created != r.created {
                throw fail("\(e.document)'s entry differs from its register")
            }
            if entry(e.document) != e { throw fail("entry(\(e.document)) does not find it") }
            if r.written.lamport > lamport { throw fail("lamport \(lamport) is below \(e.document)'s \(r.written)") }
            if e.created > e.written { throw fail("\(e.document) was created after its last write") }
            if e.deleted && e.isRenamedForConflict { throw fail("deleted \(e.document) shows \(e.path)") }
            if WorkspacePath.folders(of: e.path) != WorkspacePath.folders(of: e.storedPath) {
                throw fail("\(e.document)'s shown path \(e.path) left the folder of \(e.storedPath)")
            }
            if i > 0 {
                let p = derived.all[i - 1]
                if WorkspacePath.precedes(e.path, p.path) || (!WorkspacePath.precedes(p.path, e.path) && e.document < p.document) {
                    throw fail("all is not sorted at \(i): \(p.path) before \(e.path)")
                }
            }
        }
        let live = derived.all.filter { !$0.deleted }
        if live != derived.files { throw fail("files is not all's live entries") }
        var shown = Set<String>()
        var folders = Set<String>()
        for e in live {
            if !shown.insert(e.path).inserted { throw fail("two live files are shown at \(e.path)") }
            if document(at: e.path) != e.document { throw fail("document(at: \(e.path)) is not \(e.document)") }
            for f in WorkspacePath.folders(of: e.path) { folders.insert(f) }
        }
        if let clash = shown.first(where: { folders.contains($0) }) { throw fail("\(clash) is shown as a file and is a folder") }
        if derived.byShownPath.count != live.count { throw fail("byShownPath has \(derived.byShownPath.count) paths, \(live.count) live files") }
    }
}
