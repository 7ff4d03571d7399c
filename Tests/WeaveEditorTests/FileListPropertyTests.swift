#if canImport(Glibc)
import Glibc
#endif
import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveEditor

/// The file list against a plain model, on random workspaces (subfolders,
/// accents, capitals, wide characters, long names, peers) and random keys,
/// with the session's updates and terminal resizes mixed in.
///
/// `PlainFileList` knows no rows or scrolling: a list of paths put in tree
/// order by walking a folder tree, the filter, the selected path and the
/// question being asked. After every key the editor's visible files,
/// selection, filter and question must equal the model's, and the effects
/// (open, create, rename, delete) be exactly the ones it predicts. After every
/// key the state is also rendered at a random size (1x1, 80x24, 200x50 or
/// any from 1x1 to 120x40): nothing outside the grid, wide characters whole,
/// no control character, the selected file's row shown in reverse video and
/// holding its name when the row has room; at 200x50 the whole tree is
/// compared with the model's, line by line.
///
/// Default: 4 chunks of 60 runs of 150 actions (fixed seeds); `WEAVE_SEED`
/// picks another base seed; `WEAVE_FILELIST_SWEEP=N` runs N more runs.
struct FileListPropertyTests {
    static let runsPerChunk = 60
    static let actionsPerRun = 150

    @Test(arguments: 0 ..< 4)
    func randomKeysMatchThePlainList(chunk: Int) {
        let base = TestSeed.pick(0xF11E_0000)
        for i in 0 ..< Self.runsPerChunk {
            var run = FileListRun(seed: base &+ UInt64(chunk * Self.runsPerChunk + i))
            if !run.run(actions: Self.actionsPerRun) { return }
        }
    }

    @Test(.enabled(if: TestSeed.enabled("WEAVE_FILELIST_SWEEP"), "a longer sweep runs on demand: WEAVE_FILELIST_SWEEP=N"))
    func longSweep() {
        let n = Int(String(cString: getenv("WEAVE_FILELIST_SWEEP"))) ?? 0
        let base = TestSeed.pick(0xF11E_0000) &+ 1_000_000
        for i in 0 ..< n {
            var run = FileListRun(seed: base &+ UInt64(i))
            if !run.run(actions: 400) { return }
        }
    }
}

/// What a user expects of the file list, without rows or scrolling.
struct PlainFileList {
    enum Step: Equatable { case browsing, renaming(from: String, to: [Unicode.Scalar]), deleting(String) }

    /// The session's list, duplicates dropped (the first kept).
    private(set) var files: [FileListEntry] = []
    private(set) var ordered: [String] = []
    var readOnly: Bool
    var width = 80, height = 24
    var open = false
    var help = false
    var filter: [Unicode.Scalar] = []
    var selected: String?
    var step = Step.browsing
    var follow: String?

    init(files: [FileListEntry], readOnly: Bool) {
        self.readOnly = readOnly
        setFiles(files)
    }

    mutating func setFiles(_ given: [FileListEntry]) {
        var seen: Set<String> = []
        files = given.filter { seen.insert($0.path).inserted }
        ordered = Self.treeOrder(files.map(\.path))
    }

    func entry(_ path: String) -> FileListEntry { files.first { $0.path == path }! }
    var paths: Set<String> { Set(files.map(\.path)) }
    var current: String? { ordered.first { entry($0).isCurrent } }

    /// The paths containing the filter, lowercase both, in tree order.
    var visible: [String] {
        let needle = Array(String(String.UnicodeScalarView(filter)).lowercased().unicodeScalars)
        return ordered.filter { path in
            let hay = Array(path.lowercased().unicodeScalars)
            guard !needle.isEmpty else { return true }
            guard needle.count <= hay.count else { return false }
            return (0 ... hay.count - needle.count).contains { Array(hay[$0 ..< $0 + needle.count]) == needle }
        }
    }

    /// Tree order: a walk of the folder tree, the names in a folder sorted by
    /// their lowercase scalars, then their scalars, a file before a folder of
    /// the same name.
    static func treeOrder(_ paths: [String]) -> [String] {
        final class Folder {
            var files: [(name: String, path: String)] = []
            var folders: [String: Folder] = [:]
        }
        let root = Folder()
        for p in paths {
            var parts = p.split(separator: "/").map(String.init)
            let name = parts.popLast() ?? p
            var f = root
            for part in parts {
                if f.folders[part] == nil { f.folders[part] = Folder() }
                f = f.folders[part]!
            }
            f.files.append((name, p))
        }
        func key(_ name: String, _ kind: UInt32) -> [UInt32] {
            name.lowercased().unicodeScalars.map(\.value) + [0] + name.unicodeScalars.map(\.value) + [0, kind]
        }
        var out: [String] = []
        func walk(_ f: Folder) {
            var children: [(key: [UInt32], file: String?, folder: Folder?)] = f.files.map { (key($0.name, 0), $0.path, nil) }
            children += f.folders.map { (key($0.key, 1), nil, $0.value) }
            children.sort { $0.key.lexicographicallyPrecedes($1.key) }
            for c in children {
                if let file = c.file { out.append(file) } else { walk(c.folder!) }
            }
        }
        walk(root)
        return out
    }

    static func isBad(_ p: String) -> Bool {
        p.isEmpty || p.hasPrefix("/") || p.unicodeScalars.contains { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) }
            || p.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0.hasPrefix(".") }
    }

    /// Rows the tree gets on the current screen.
    var treeRows: Int { Self.treeRows(width: width, height: height) }
    static func treeRows(width: Int, height: Int) -> Int {
        let list = min(max(1, height - 2), height)
        return max(0, list - 1 - (list >= 3 ? 1 : 0))
    }

    mutating func close() { open = false; filter = []; step = .browsing; follow = nil; selected = nil }
    mutating func selectFirst() { selected = visible.first }
    mutating func selectCurrentOrFirst() {
        if let c = current, visible.contains(c) { selected = c } else { selectFirst() }
    }

    mutating func move(_ d: Int) {
        let vis = visible
        guard !vis.isEmpty else { selected = nil; return }
        let here = selected.flatMap { vis.firstIndex(of: $0) } ?? (d > 0 ? -1 : vis.count)
        selected = vis[max(0, min(vis.count - 1, here + d))]
    }

    mutating func create(_ p: String) -> [Effect] {
        guard !readOnly, !Self.isBad(p), !paths.contains(p) else { return [] }
        close()
        return [.createFile(p)]
    }

    /// The session's new list.
    mutating func update(_ given: [FileListEntry]) {
        let old = selected.flatMap { visible.firstIndex(of: $0) }
        setFiles(given)
        guard open else { return }
        let vis = visible
        if let f = follow, vis.contains(f) {
            selected = f
        } else if let s = selected, vis.contains(s) {
        } else {
            selected = vis.isEmpty ? nil : vis[min(old ?? 0, vis.count - 1)]
        }
        follow = nil
        switch step {
        case .renaming(let from, _) where !paths.contains(from): step = .browsing
        case .deleting(let p) where !paths.contains(p): step = .browsing
        default: break
        }
    }

    /// The key's file effects, applied to the model.
    mutating func handle(_ key: Key) -> [Effect] {
        if case .resize(let w, let h) = key { width = max(1, w); height = max(1, h); return [] }
        if help { help = false; return [] }
        guard open else {
            if key == .ctrl("b") || key == .function(5) { open = true; filter = []; selectCurrentOrFirst() }
            return []
        }
        switch step {
        case .browsing: return browse(key)
        case .renaming(let from, let to):
            switch key {
            case .char(let c): step = .renaming(from: from, to: to + [c])
            case .paste(let s): step = .renaming(from: from, to: to + s.unicodeScalars.filter { $0.value >= 0x20 && !($0.value >= 0x7F && $0.value < 0xA0) })
            case .backspace: step = .renaming(from: from, to: Array(to.dropLast()))
            case .enter:
                let t = String(String.UnicodeScalarView(to))
                if t == from { step = .browsing; return [] }
                if Self.isBad(t) || paths.contains(t) { return [] }
                step = .browsing
                follow = t
                return [.renameFile(from: from, to: t)]
            case .escape: step = .browsing
            case .ctrl("b"), .function(5): close()
            default: break
            }
            return []
        case .deleting(let p):
            step = .browsing
            return key == .char("y") || key == .char("Y") ? [.deleteFile(p)] : []
        }
    }

    private mutating func browse(_ key: Key) -> [Effect] {
        switch key {
        case .char(let c): filter.append(c); selectFirst()
        case .paste(let s):
            let t = s.unicodeScalars.filter { $0.value >= 0x20 && !($0.value >= 0x7F && $0.value < 0xA0) }
            if !t.isEmpty { filter += t; selectFirst() }
        case .backspace: if !filter.isEmpty { filter.removeLast(); selectFirst() }
        case .up: move(-1)
        case .down: move(1)
        case .pageUp: move(-max(1, treeRows - 1))
        case .pageDown: move(max(1, treeRows - 1))
        case .home: selectFirst()
        case .end: selected = visible.last
        case .enter:
            if let s = selected { close(); return [.openFile(s)] }
            if !filter.isEmpty { return create(String(String.UnicodeScalarView(filter))) }
        case .ctrl("n"): return create(String(String.UnicodeScalarView(filter)))
        case .ctrl("r"): if let s = selected, !readOnly { step = .renaming(from: s, to: Array(s.unicodeScalars)) }
        case .ctrl("d"), .delete: if let s = selected, !readOnly { step = .deleting(s) }
        case .escape where !filter.isEmpty:
            filter = []
            if selected == nil { selectCurrentOrFirst() }
        case .escape, .ctrl("b"), .function(5), .ctrl("q"): close()
        case .function(1): help = true
        default: break
        }
        return []
    }

    /// The tree as the model draws it on a screen wide enough for every name
    /// and peer: folders once, files indented two cells per folder after a
    /// two-cell marker, peers after two spaces.
    var expectedTreeLines: [String] {
        var out: [String] = [], folders: [Substring] = []
        for p in visible {
            var parts = p.split(separator: "/")
            let name = parts.popLast().map(String.init) ?? p
            var common = 0
            while common < min(folders.count, parts.count), folders[common] == parts[common] { common += 1 }
            for d in common ..< parts.count { out.append("  " + String(repeating: "  ", count: d) + parts[d] + "/") }
            folders = parts
            let e = entry(p)
            var line = (e.isCurrent ? "* " : "  ") + String(repeating: "  ", count: parts.count) + name
            if !e.peers.isEmpty { line += " " + e.peers.map { " ● " + $0.name }.joined() }
            while line.hasSuffix(" ") { line.removeLast() }
            out.append(line)
        }
        return out
    }
}

/// One random run: a workspace, a model, an editor, and actions.
struct FileListRun {
    let seed: UInt64
    var g: SeededRandom
    var model: PlainFileList
    var editor: Editor
    var files: [FileListEntry]
    var nextName = 0

    static let folders = ["sub", "Docs", "docs", "日本", "Été", "a", "emoji🙂", "deep"]
    static let alphabet = Array("abcxyzABXé É日本語🙂-_ .0".unicodeScalars)
    static let badges = [PeerBadge(name: "alice", colour: .cyan), PeerBadge(name: "bob", colour: .magenta),
                         PeerBadge(name: "日本", colour: .green)]

    init(seed: UInt64) {
        self.seed = seed
        g = SeededRandom(seed: seed)
        files = []
        let n = g.int(0 ... 25)
        var taken: Set<String> = []
        var made: [FileListEntry] = []
        for _ in 0 ..< n {
            let p = Self.randomPath(&g)
            if taken.insert(p).inserted { made.append(FileListEntry(path: p, peers: Self.randomPeers(&g))) }
        }
        if !made.isEmpty, g.chance(0.7) { made[g.int(0 ..< made.count)].isCurrent = true }
        files = made
        let readOnly = g.chance(0.2)
        model = PlainFileList(files: files, readOnly: readOnly)
        editor = Editor(fileName: "f", text: "text", replica: ReplicaID(1))
        if readOnly { editor.readOnly = "a read-only invitation" }
        editor.workspaceFiles = Self.withDuplicate(files, &g)
    }

    static func randomPath(_ g: inout SeededRandom) -> String {
        var parts: [String] = []
        for _ in 0 ..< g.int(0 ... 3) { parts.append(folders[g.int(0 ..< folders.count)]) }
        let length = g.chance(0.1) ? g.int(30 ... 70) : g.int(1 ... 10)
        var name = String(String.UnicodeScalarView((0 ..< length).map { _ in alphabet[g.int(0 ..< alphabet.count)] }))
        if name.hasPrefix(".") { name = "x" + name }
        parts.append(name)
        return parts.joined(separator: "/")
    }

    static func randomPeers(_ g: inout SeededRandom) -> [PeerBadge] {
        g.chance(0.2) ? Array(badges.shuffled(using: &g).prefix(g.int(1 ... 2))) : []
    }

    /// The list as the session might hand it over: in any order, sometimes
    /// with one entry twice.
    static func withDuplicate(_ files: [FileListEntry], _ g: inout SeededRandom) -> [FileListEntry] {
        var out = files.shuffled(using: &g)
        if !files.isEmpty, g.chance(0.1) { out.insert(files[g.int(0 ..< files.count)], at: g.int(0 ... out.count)) }
        return out
    }

    mutating func update(_ new: [FileListEntry]) {
        files = new
        let given = Self.withDuplicate(files, &g)
        model.update(given)
        editor.workspaceFiles = given
    }

    /// A change the session may report: a file added or removed, peers moving.
    mutating func randomUpdate() {
        var new = files
        switch g.int(0 ..< 4) {
        case 0 where !new.isEmpty: new.remove(at: g.int(0 ..< new.count))
        case 1:
            let p = Self.randomPath(&g)
            if !new.contains(where: { $0.path == p }) { new.insert(FileListEntry(path: p), at: g.int(0 ... new.count)) }
        case 2 where !new.isEmpty: new[g.int(0 ..< new.count)].peers = Self.randomPeers(&g)
        default:
            for i in new.indices { new[i].isCurrent = false }
            if !new.isEmpty { new[g.int(0 ..< new.count)].isCurrent = true }
        }
        update(new)
    }

    /// What the session does after an effect, most of the time.
    mutating func perform(_ effect: Effect) {
        guard g.chance(0.7) else { return }
        var new = files
        switch effect {
        case .openFile(let p):
            for i in new.indices { new[i].isCurrent = new[i].path == p }
        case .createFile(let p):
            for i in new.indices { new[i].isCurrent = false }
            new.append(FileListEntry(path: p, isCurrent: true))
        case .renameFile(let from, let to):
            for i in new.indices where new[i].path == from { new[i].path = to }
        case .deleteFile(let p):
            new.removeAll { $0.path == p }
        default:
            return
        }
        update(new)
    }

    func randomScalar(_ g: inout SeededRandom) -> Unicode.Scalar {
        if !files.isEmpty, g.chance(0.7) {
            let p = Array(files[g.int(0 ..< files.count)].path.unicodeScalars)
            return p[g.int(0 ..< p.count)]
        }
        let extra = Self.alphabet + ["/", ".", "Q"]
        return extra[g.int(0 ..< extra.count)]
    }

    mutating func randomKey() -> Key {
        if !model.open || model.help {
            return g.chance(0.9) ? (g.chance(0.5) ? .ctrl("b") : .function(5)) : .char("q")
        }
        if case .deleting = model.step {
            return [Key.char("y"), .char("Y"), .char("n"), .escape, .ctrl("b"), .down][g.int(0 ..< 6)]
        }
        let r = g.int(0 ..< 100)
        switch r {
        case 0 ..< 28: return .char(randomScalar(&g))
        case 28 ..< 31:
            let s = String(String.UnicodeScalarView((0 ..< g.int(0 ... 5)).map { _ in g.chance(0.2) ? "\n" : randomScalar(&g) }))
            return .paste(s)
        case 31 ..< 41: return .backspace
        case 41 ..< 49: return .down
        case 49 ..< 55: return .up
        case 55 ..< 57: return .pageDown
        case 57 ..< 59: return .pageUp
        case 59 ..< 61: return g.chance(0.5) ? .home : .end
        case 61 ..< 67: return .enter
        case 67 ..< 70: return .ctrl("n")
        case 70 ..< 74: return .ctrl("r")
        case 74 ..< 77: return g.chance(0.5) ? .ctrl("d") : .delete
        case 77 ..< 82: return .escape
        case 82 ..< 84: return [Key.ctrl("b"), .function(5), .ctrl("q")][g.int(0 ..< 3)]
        case 84 ..< 85: return .function(1)
        case 85 ..< 88: return .left
        default:
            return .resize(width: g.int(1 ... 120), height: g.int(1 ... 40))
        }
    }

    /// Runs `actions` keys and updates; false after the first failure (with
    /// the seed in the message).
    mutating func run(actions: Int) -> Bool {
        for step in 0 ..< actions {
            let context = "seed \(seed) step \(step)"
            if g.chance(0.05) {
                randomUpdate()
                guard check("\(context) after an update") else { return false }
                continue
            }
            let key = randomKey()
            let fx = editor.handle(key).filter {
                switch $0 {
                case .openFile, .createFile, .renameFile, .deleteFile: return true
                default: return false
                }
            }
            let expected = model.handle(key)
            guard fx == expected else {
                Issue.record("\(context): \(key) gave \(fx), the model \(expected)")
                return false
            }
            guard check("\(context) after \(key)") else { return false }
            guard !fx.isEmpty else { continue }
            for effect in fx { perform(effect) }
            guard check("\(context) after the session performed \(fx)") else { return false }
        }
        return true
    }

    /// The editor's list against the model, then a render at a random size.
    mutating func check(_ context: String) -> Bool {
        guard let list = editor.fileList else {
            if model.open { Issue.record("\(context): the list closed, the model's is open"); return false }
            return checkRender(context, closed: true)
        }
        guard model.open else { Issue.record("\(context): the list is open, the model's closed"); return false }
        let step: PlainFileList.Step
        switch list.step {
        case .browsing: step = .browsing
        case .renaming(let from, let to): step = .renaming(from: from, to: to)
        case .confirmingDelete(let p): step = .deleting(p)
        }
        let visible = list.visibleFiles.map(\.path)
        guard visible == model.visible, list.selected == model.selected, list.filter == model.filter,
              step == model.step, (editor.mode == .help) == model.help else {
            Issue.record("""
                \(context): list \(visible) selected \(list.selected ?? "-") filter \(list.filterText) \(list.step) help \(editor.mode == .help)
                model \(model.visible) selected \(model.selected ?? "-") filter \(String(String.UnicodeScalarView(model.filter))) \(model.step) help \(model.help)
                """)
            return false
        }
        guard (list.selected == nil) == visible.isEmpty else {
            Issue.record("\(context): selection \(list.selected ?? "none") with \(visible.count) visible files")
            return false
        }
        return checkRender(context, closed: false)
    }

    mutating func checkRender(_ context: String, closed: Bool) -> Bool {
        let sizes = [(1, 1), (80, 24), (200, 50), (g.int(1 ... 120), g.int(1 ... 40)), (g.int(1 ... 40), g.int(1 ... 12))]
        let (w, h) = sizes[g.int(0 ..< sizes.count)]
        let grid = editor.render(size: .init(width: w, height: h))
        guard grid.width == w, grid.height == h, grid.rows.count == h, grid.rows.allSatisfy({ $0.count == w }) else {
            Issue.record("\(context): a \(w)x\(h) render is \(grid.rows.count) rows of \(grid.rows.map(\.count))")
            return false
        }
        if let c = grid.cursor, !(0 ..< w).contains(c.x) || !(0 ..< h).contains(c.y) {
            Issue.record("\(context): cursor \(c) outside \(w)x\(h)")
            return false
        }
        for y in 0 ..< h {
            let row = grid.rows[y]
            for x in 0 ..< w {
                let cell = row[x]
                let whole = cell.width == 2 ? x + 1 < w && row[x + 1].isContinuation
                    : cell.isContinuation ? x > 0 && row[x - 1].width == 2 : cell.width == 1
                // A control character would be a cell's first scalar (Grid.write gives it a cell).
                if !whole || cell.text.unicodeScalars.first.map(CharWidth.isControl) == true {
                    Issue.record("\(context): \(w)x\(h) cell \(x),\(y) \(cell) in \(Self.text(grid, y))")
                    return false
                }
            }
        }
        guard !closed, !model.help else { return true }
        // The list's rows on this screen.
        let listHeight = min(max(1, h - 2), h)
        let treeTop = listHeight >= 3 ? 1 : 0
        let treeRows = PlainFileList.treeRows(width: w, height: h)
        let tree = treeTop ..< treeTop + treeRows
        let reversed = tree.filter { y in grid.rows[y].allSatisfy { $0.attributes.contains(.reverse) } }
        if let selected = model.selected, treeRows > 0 {
            guard reversed.count == 1 else {
                Issue.record("\(context): \(w)x\(h): \(reversed.count) selected rows for \(selected)\n\(grid.lines.joined(separator: "\n"))")
                return false
            }
            let name = String(selected.split(separator: "/").last ?? "")
            let depth = selected.split(separator: "/").count - 1
            let text = Self.text(grid, reversed[0]), shownName = name.trimmingTrailingSpaces  // lines are trimmed
            if w >= 2 + 2 * depth + CharWidth.of(name.unicodeScalars) {
                guard shownName.isEmpty || text.contains(shownName) else {
                    Issue.record("\(context): \(w)x\(h): \(name) not on its row \(text)")
                    return false
                }
            } else if w >= 12, !shownName.isEmpty, !text.contains("…"), !text.contains(shownName) {
                Issue.record("\(context): \(w)x\(h): \(name) cut without an ellipsis: \(text)")
                return false
            }
        } else if !reversed.isEmpty {
            Issue.record("\(context): \(w)x\(h): no selection, yet row \(reversed) is reversed")
            return false
        }
        if w == 200, h == 50 {
            let expected = model.expectedTreeLines
            if expected.count <= treeRows, model.filter.count < 150 {
                let shown = (tree.lowerBound ..< tree.lowerBound + max(1, expected.count)).map { Self.text(grid, $0) }
                let want = expected.isEmpty
                    ? [model.filter.isEmpty ? "No files yet: type a path, then Enter creates it"
                        : ("Enter: create " + String(String.UnicodeScalarView(model.filter))).trimmingTrailingSpaces]
                    : expected
                guard shown == want else {
                    Issue.record("\(context): the tree at 200x50\n\(shown.joined(separator: "\n"))\nthe model's\n\(want.joined(separator: "\n"))")
                    return false
                }
            }
        }
        return true
    }

    /// Row `y` as text, as `Grid.lines` has it (one row only: the whole
    /// screen's lines cost more than the rest of the checks).
    static func text(_ grid: Grid, _ y: Int) -> String {
        var s = grid.rows[y].filter { !$0.isContinuation }.map(\.text).joined()
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}

