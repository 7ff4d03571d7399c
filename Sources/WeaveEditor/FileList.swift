/// The file list of a workspace (`weave host DIR`) as a pure model: the files,
/// the filter typed over them, the selected file and the rename / delete
/// questions asked inside the list. The editor's keys drive it
/// (Editor+FileList.swift); FileList+Render.swift draws it.
///
/// Laws:
/// - `entries` is in tree order (`FileList.precedes`) with unique paths,
///   whatever order the session hands them over in;
/// - `visible` is exactly the entries whose path contains the filter,
///   compared case-insensitively (`FileList.matches`), in tree order;
/// - `selected` is the path of a visible file, or nil only when no file is
///   visible.

/// One file of a workspace, as the session reports it.
public struct FileListEntry: Sendable, Equatable {
    /// The file's path inside the shared folder, components separated by "/"
    /// ("notes/todo.txt"): no leading "/", no "." or "..".
    public var path: String
    /// Who is in that file (their editor shows it), in their colours: drawn
    /// after the file's name as `● name`.
    public var peers: [PeerBadge]
    /// Whether this is the file this editor shows: marked with a `*` before
    /// its name, which is bold.
    public var isCurrent: Bool

    public init(path: String, peers: [PeerBadge] = [], isCurrent: Bool = false) {
        self.path = path
        self.peers = peers
        self.isCurrent = isCurrent
    }
}

/// The open file list: see the laws above.
public struct FileList: Sendable, Equatable {
    /// What the keys answer.
    public enum Step: Sendable, Equatable {
        /// Typing edits the filter; arrows move the selection.
        case browsing
        /// The rename prompt: the new path being typed for `from`.
        case renaming(from: String, to: [Unicode.Scalar])
        /// "Delete PATH? (y/n)".
        case confirmingDelete(String)
    }

    /// A row of the tree: a folder (shown once, above its files, not
    /// selectable) or a file, each at a depth (its number of parent folders).
    public struct Row: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case folder
            /// The file at this index of `entries`.
            case file(Int)
        }
        public var kind: Kind
        /// The folder's or file's own name (the last component of its path).
        public var name: String
        public var depth: Int
    }

    /// The workspace's files in tree order, without duplicate paths.
    public private(set) var entries: [FileListEntry] = []
    /// The filter, as typed.
    public private(set) var filter: [Unicode.Scalar] = []
    /// Indices into `entries` of the files that match the filter, in order.
    public private(set) var visible: [Int] = []
    /// The tree rows of the visible files (their folders included).
    public private(set) var rows: [Row] = []
    /// The selected file's path.
    public internal(set) var selected: String?
    /// The first tree row shown (kept so that the selection is on screen).
    public internal(set) var scroll = 0
    public internal(set) var step: Step = .browsing
    /// A renamed file's new path: selected when the session's next update
    /// lists it (then forgotten, listed or not).
    var follow: String?

    /// A list of `files` (sorted and de-duplicated here) with an empty filter,
    /// the current file selected (else the first). O(n log n · path length).
    public init(files: [FileListEntry]) {
        setEntries(files)
        selectCurrentOrFirst()
    }

    /// The filter as a string.
    public var filterText: String { String(String.UnicodeScalarView(filter)) }

    /// The visible files, in tree order.
    public var visibleFiles: [FileListEntry] { visible.map { entries[$0] } }

    // MARK: Order and matching

    /// Tree order: paths compared component by component, each component
    /// case-insensitively first (lowercase mappings of its scalars, by scalar
    /// value), then by its exact scalars; a path before the longer paths it
    /// is a prefix of ("b" before "b/x"). A strict total order on distinct
    /// paths, so the files of a folder follow one another. O(path length).
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let ca = components(a), cb = components(b)
        for (x, y) in zip(ca, cb) {
            let fx = folded(x), fy = folded(y)
            if fx != fy { return fx.lexicographicallyPrecedes(fy) }
            let rx = x.unicodeScalars.map(\.value), ry = y.unicodeScalars.map(\.value)
            if rx != ry { return rx.lexicographicallyPrecedes(ry) }
        }
        return ca.count < cb.count
    }

    /// Whether `path` contains `filter`, both lowercased scalar by scalar
    /// (full lowercase mappings). The empty filter matches every path.
    /// O(path × filter).
    public static func matches(_ path: String, filter: [Unicode.Scalar]) -> Bool {
        guard !filter.isEmpty else { return true }
        let needle = folded(filter), hay = folded(path.unicodeScalars)
        guard needle.count <= hay.count else { return false }
        for start in 0 ... hay.count - needle.count where hay[start ..< start + needle.count].elementsEqual(needle) {
            return true
        }
        return false
    }

    /// The lowercase mapping of every scalar, as values.
    static func folded<S: Sequence>(_ s: S) -> [UInt32] where S.Element == Unicode.Scalar {
        s.flatMap { $0.properties.lowercaseMapping.unicodeScalars.map(\.value) }
    }

    static func folded(_ s: Substring) -> [UInt32] { folded(s.unicodeScalars) }

    /// The path's components, empty ones left out.
    static func components(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    // MARK: Updates

    /// Replaces the files: sorted into tree order, later duplicates of a path
    /// dropped, `visible` and `rows` rebuilt. O(n log n · path length).
    mutating func setEntries(_ files: [FileListEntry]) {
        var seen = Set<String>()
        entries = files.filter { seen.insert($0.path).inserted }.sorted { Self.precedes($0.path, $1.path) }
        refresh()
    }

    /// Sets the filter and rebuilds `visible` and `rows`; the selection is
    /// left for the caller to fix. O(n · path × filter).
    mutating func setFilter(_ filter: [Unicode.Scalar]) {
        self.filter = filter
        refresh()
    }

    private mutating func refresh() {
        visible = entries.indices.filter { Self.matches(entries[$0].path, filter: filter) }
        rows = []
        var folders: [Substring] = []
        for i in visible {
            var parts = Self.components(entries[i].path)
            let name = parts.popLast().map(String.init) ?? entries[i].path
            var common = 0
            while common < min(folders.count, parts.count), folders[common] == parts[common] { common += 1 }
            for d in common ..< parts.count { rows.append(Row(kind: .folder, name: String(parts[d]), depth: d)) }
            folders = parts
            rows.append(Row(kind: .file(i), name: name, depth: parts.count))
        }
    }

    /// The session's new list of files, while the list is open: the selection
    /// stays on its path when that is still visible (a renamed file's new path
    /// first); else it goes to the visible file now at its old place. A rename
    /// or delete question about a file that is gone is dropped; the returned
    /// text says so. O(n log n · path length).
    mutating func update(_ files: [FileListEntry]) -> String? {
        let oldPlace = selected.flatMap(visibleIndex(of:))
        setEntries(files)
        let renamed = follow
        follow = nil
        if let renamed, visibleIndex(of: renamed) != nil {
            selected = renamed
        } else if let s = selected, visibleIndex(of: s) != nil {
            // stays
        } else if visible.isEmpty {
            selected = nil
        } else {
            selected = entries[visible[min(oldPlace ?? 0, visible.count - 1)]].path
        }
        switch step {
        case .renaming(let from, _) where !contains(from):
            step = .browsing
            return "\(from) is gone: not renamed"
        case .confirmingDelete(let path) where !contains(path):
            step = .browsing
            return "\(path) is gone"
        default:
            return nil
        }
    }

    /// Whether a file has exactly this path. O(n).
    public func contains(_ path: String) -> Bool { entries.contains { $0.path == path } }

    /// The place of `path` among the visible files. O(n).
    func visibleIndex(of path: String) -> Int? {
        visible.firstIndex { entries[$0].path == path }
    }

    // MARK: Selection

    /// Moves the selection `delta` visible files (clamped at both ends); with
    /// no selection, from before the first (forward) or after the last. O(n).
    mutating func moveSelection(by delta: Int) {
        guard !visible.isEmpty else { selected = nil; return }
        let here = selected.flatMap(visibleIndex(of:)) ?? (delta > 0 ? -1 : visible.count)
        let next = max(0, min(visible.count - 1, here + delta))
        selected = entries[visible[next]].path
    }

    /// Selects the current file when it is visible, else the first visible
    /// file (nil when none). O(n).
    mutating func selectCurrentOrFirst() {
        if let current = entries.first(where: \.isCurrent), visibleIndex(of: current.path) != nil {
            selected = current.path
        } else {
            selectFirst()
        }
    }

    /// Selects the first visible file (nil when none). O(1).
    mutating func selectFirst() { selected = visible.first.map { entries[$0].path } }

    /// Selects the last visible file (nil when none). O(1).
    mutating func selectLast() { selected = visible.last.map { entries[$0].path } }

    /// The tree row of the selected file. O(rows).
    public var selectedRow: Int? {
        guard let selected else { return nil }
        return rows.firstIndex { if case .file(let i) = $0.kind { return entries[i].path == selected }; return false }
    }

    /// Moves `scroll` the least so that the selected row is among the
    /// `treeRows` rows shown, with as many of its folder rows above it as fit
    /// when scrolling up to it, and no empty rows at the end while rows are
    /// hidden above. O(rows).
    mutating func follow(treeRows: Int) {
        let shown = max(1, treeRows)
        scroll = max(0, min(scroll, rows.count - shown))
        guard let r = selectedRow else { return }
        if r < scroll {
            var top = r
            while top > 0, rows[top - 1].kind == .folder, r - (top - 1) < shown { top -= 1 }
            scroll = top
        } else if r >= scroll + shown {
            scroll = r - shown + 1
        }
    }

    // MARK: Paths

    /// Why a path cannot name a new file in the workspace.
    public enum PathProblem: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case absolute(String)
        case emptyComponent(String)
        case dotComponent(String)
        case hidden(String)
        case controlCharacter(String)

        public var description: String {
            switch self {
            case .empty: return "Type the new file's path first (e.g. notes/todo.txt)"
            case .absolute(let p): return "\(p): give a path inside the shared folder, without a leading /"
            case .emptyComponent(let p): return "\(p): a folder name is empty"
            case .dotComponent(let p): return "\(p): no . or .. in a path"
            case .hidden(let p): return "\(p): names starting with . are hidden and not shared"
            case .controlCharacter: return "A path cannot hold control characters"
            }
        }
    }

    /// The first problem of `path` as a new file's name, or nil when it looks
    /// fine: not empty, no leading "/", no empty component (a trailing "/"
    /// or "//"), no "." or "..", no component starting with "." (hidden
    /// files are not shared), no control character. The session checks
    /// again (the disk has the last word). O(path).
    public static func problem(with path: String) -> PathProblem? {
        if path.isEmpty { return .empty }
        if path.unicodeScalars.contains(where: CharWidth.isControl) { return .controlCharacter(path) }
        if path.hasPrefix("/") { return .absolute(path) }
        for c in path.split(separator: "/", omittingEmptySubsequences: false) {
            if c.isEmpty { return .emptyComponent(path) }
            if c == "." || c == ".." { return .dotComponent(path) }
            if c.hasPrefix(".") { return .hidden(path) }
        }
        return nil
    }
}
