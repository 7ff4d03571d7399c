import WeaveCore

/// Shown paths: what the state shows when live files want the same path.
///
/// Two peers that create `notes.txt` at the same time both keep their text:
/// among the live documents whose stored paths are equal (as Swift strings),
/// ordered by the write that set the path (`Entry.written`: lamport, then
/// author), then by document ID, the first keeps the path and each next one is
/// shown as `WorkspacePath.conflictName(path, k)` ("notes (2).txt",
/// "notes (3).txt", …) for the smallest k ≥ 2 not taken yet.
///
/// A name is *taken* when a live file's stored path is that name, when a live
/// file lies inside a folder of that name, or when a conflict name was given
/// to it already. A live file whose stored path is a folder of another live
/// file ("a" while "a/b.txt" lives) cannot sit beside it on disk, so it too is
/// shown under a conflict name ("a (2)"), even when it is alone at its path.
/// Conflict names change only the last name of a path, so they make no new
/// folders and the set of folders is known before any name is chosen.
///
/// Names are given group by group in the order of each group's first document
/// (stored path bytes, then document ID): the result is a function of the set
/// of registers only, the same on every replica whatever the order records
/// arrived in. Shown paths of live files are unique.
extension FolderState {
    /// The cached views of the registers.
    struct Derived: Sendable {
        /// Every document, sorted (see `all`).
        var all: [Entry] = []
        /// The live ones, in the same order.
        var files: [Entry] = []
        /// Position in `all` by document.
        var index: [DocumentID: Int] = [:]
        /// Live documents by shown path.
        var byShownPath: [String: DocumentID] = [:]
    }

    /// Rebuilds `derived` from `registers`. O(n log n + total path bytes).
    mutating func derive() {
        let shown = shownPaths()
        var all: [Entry] = registers.map { d, r in
            Entry(document: d, path: shown[d] ?? r.path, storedPath: r.path, deleted: r.deleted,
                  created: r.created, written: r.written)
        }
        all.sort { a, b in
            if WorkspacePath.precedes(a.path, b.path) { return true }
            if WorkspacePath.precedes(b.path, a.path) { return false }
            return a.document < b.document
        }
        var d = Derived()
        d.all = all
        d.files = all.filter { !$0.deleted }
        d.index.reserveCapacity(all.count)
        for (i, e) in all.enumerated() {
            d.index[e.document] = i
            if !e.deleted { d.byShownPath[e.path] = e.document }
        }
        derived = d
    }

    /// The shown path of every live document whose shown path differs from
    /// its stored path (the rest show their stored path). O(n log n).
    func shownPaths() -> [DocumentID: String] {
        var groups: [String: [DocumentID]] = [:]
        var folders = Set<String>()
        for (d, r) in registers where !r.deleted {
            groups[r.path, default: []].append(d)
            for f in WorkspacePath.folders(of: r.path) { folders.insert(f) }
        }
        var taken = folders
        var needNames: [[DocumentID]] = []
        for (path, members) in groups {
            taken.insert(path)
            if members.count > 1 || folders.contains(path) {
                needNames.append(members.sorted { a, b in
                    let x = registers[a]!.written, y = registers[b]!.written
                    return x != y ? x < y : a < b
                })
            }
        }
        // Groups in the order of their first document, by stored path bytes.
        needNames.sort { a, b in
            let x = registers[a[0]]!.path.utf8, y = registers[b[0]]!.path.utf8
            if !x.elementsEqual(y) { return x.lexicographicallyPrecedes(y) }
            return a[0] < b[0]
        }
        var shown: [DocumentID: String] = [:]
        for members in needNames {
            // The first keeps its path unless that path is a folder.
            let first = folders.contains(registers[members[0]]!.path) ? 0 : 1
            var k = 2
            for d in members[first...] {
                let path = registers[d]!.path
                while taken.contains(WorkspacePath.conflictName(path, k)) { k += 1 }
                let name = WorkspacePath.conflictName(path, k)
                taken.insert(name)
                shown[d] = name
                k += 1
            }
        }
        return shown
    }
}
