/// The file list's keys and its place on the screen.
///
/// Ctrl-B or F5 opens it in a workspace session (`workspaceFiles` set);
/// while it is open every key goes to it (`handleFileList`), except a resize.
/// The list never touches files: opening, creating, renaming and deleting
/// are effects the session performs, after which it sets `workspaceFiles`
/// again.
///
///   browsing    characters and pastes edit the filter, Backspace deletes;
///               ↑↓ PgUp PgDn Home End select among the matching files;
///               Enter opens the selected file (`.openFile`) or, with none
///               matching, creates the filter's path (`.createFile`); Ctrl-N
///               creates the filter's path; Ctrl-R asks for a new name;
///               Ctrl-D or Delete asks to delete; Esc clears the filter (the
///               selection stays, or goes to the current file when there was
///               none), then closes; Ctrl-B, F5 and Ctrl-Q close; F1 shows
///               help. Editing the filter selects the first match.
///   renaming    characters edit the new path; Enter renames
///               (`.renameFile`); Esc or Ctrl-C cancels; Ctrl-B / F5 close.
///   deleting    y deletes (`.deleteFile`); any other key keeps the file.
extension Editor {
    // MARK: Geometry

    /// Rows the list covers: the text area (all rows above the status line).
    var fileListHeight: Int { min(textHeight, size.height) }

    /// Whether the list has a title row: from 3 rows on (below that, the
    /// files and the filter row matter more).
    var fileListHasTitle: Bool { fileListHeight >= 3 }

    /// Rows for the tree: the list's rows but its title and its filter row.
    var fileListTreeRows: Int { max(0, fileListHeight - 1 - (fileListHasTitle ? 1 : 0)) }

    // MARK: Opening and updates

    /// Ctrl-B / F5 in edit mode: opens the list on `workspaceFiles`, the
    /// current file selected; in a single-file session, a message only.
    mutating func openFileList() {
        guard let files = workspaceFiles else {
            message = "The file list is for shared folders (weave host DIR)"
            return
        }
        undo.seal()
        var list = FileList(files: files)
        list.follow(treeRows: fileListTreeRows)
        fileList = list
    }

    /// `workspaceFiles` changed: the open list follows it (or closes on nil).
    mutating func workspaceFilesChanged() {
        guard fileList != nil else { return }
        guard let files = workspaceFiles else { fileList = nil; return }
        let rows = fileListTreeRows
        if let note = fileList!.update(files) { message = note }
        fileList!.follow(treeRows: rows)
    }

    // MARK: Keys

    /// A key while the list is open. Never fails: refusals leave a message
    /// (and ring the bell); keys with nothing to do ring the bell.
    mutating func handleFileList(_ key: Key, effects: inout [Effect]) {
        guard var list = fileList else { return }
        message = nil
        var closes = false
        switch list.step {
        case .browsing:
            closes = browse(&list, key, effects: &effects)
        case .renaming(let from, let to):
            closes = answerRename(&list, from: from, to: to, key, effects: &effects)
        case .confirmingDelete(let path):
            list.step = .browsing
            if key == .char("y") || key == .char("Y") {
                effects.append(.deleteFile(path))
            } else {
                message = "Not deleted"
            }
        }
        if closes { fileList = nil; return }
        list.follow(treeRows: fileListTreeRows)
        fileList = list
    }

    /// A key while browsing; true when it closes the list.
    private mutating func browse(_ list: inout FileList, _ key: Key, effects: inout [Effect]) -> Bool {
        switch key {
        case .char(let c):
            list.setFilter(list.filter + [c])
            list.selectFirst()
        case .paste(let s):
            let typed = s.unicodeScalars.filter { !CharWidth.isControl($0) }
            guard !typed.isEmpty else { return false }
            list.setFilter(list.filter + typed)
            list.selectFirst()
        case .backspace, .ctrl("h"):
            guard !list.filter.isEmpty else { effects.append(.bell); return false }
            list.setFilter(Array(list.filter.dropLast()))
            list.selectFirst()
        case .up: list.moveSelection(by: -1)
        case .down: list.moveSelection(by: 1)
        case .pageUp: list.moveSelection(by: -max(1, fileListTreeRows - 1))
        case .pageDown: list.moveSelection(by: max(1, fileListTreeRows - 1))
        case .home, .ctrlHome: list.selectFirst()
        case .end, .ctrlEnd: list.selectLast()
        case .enter:
            if let path = list.selected {
                effects.append(.openFile(path))
                return true
            } else if !list.filter.isEmpty {
                return create(list.filterText, in: list, effects: &effects)
            } else {
                message = "No files yet: type a path, then Enter creates it"
                effects.append(.bell)
            }
        case .ctrl("n"):
            return create(list.filterText, in: list, effects: &effects)
        case .ctrl("r"):
            guard let path = list.selected else { message = "No file selected to rename"; effects.append(.bell); return false }
            guard refuseIfReadOnly(&effects) else { return false }
            list.step = .renaming(from: path, to: Array(path.unicodeScalars))
        case .ctrl("d"), .delete:
            guard let path = list.selected else { message = "No file selected to delete"; effects.append(.bell); return false }
            guard refuseIfReadOnly(&effects) else { return false }
            list.step = .confirmingDelete(path)
        case .escape where !list.filter.isEmpty:
            list.setFilter([])
            if list.selected == nil { list.selectCurrentOrFirst() }
        case .escape, .ctrl("b"), .function(5), .ctrl("q"):
            return true
        case .function(1), .ctrl("g"):
            mode = .help
        case .ctrl("l"):
            effects.append(.redraw)
        case .click(_, let y), .doubleClick(_, let y):
            // A click on a file's row opens it; on a folder or elsewhere, nothing.
            list.follow(treeRows: fileListTreeRows)
            let i = list.scroll + y - (fileListHasTitle ? 1 : 0)
            guard y >= (fileListHasTitle ? 1 : 0), y < (fileListHasTitle ? 1 : 0) + fileListTreeRows,
                  list.rows.indices.contains(i), case .file(let e) = list.rows[i].kind else { return false }
            list.selected = list.entries[e].path
            effects.append(.openFile(list.entries[e].path))
            return true
        case .tripleClick, .drag, .shift(.click):  // clicks and double clicks are taken above
            break
        default:
            effects.append(.bell)
        }
        return false
    }

    /// A key in the rename prompt; true when it closes the list.
    private mutating func answerRename(_ list: inout FileList, from: String, to: [Unicode.Scalar], _ key: Key,
                                       effects: inout [Effect]) -> Bool {
        switch key {
        case .char(let c):
            list.step = .renaming(from: from, to: to + [c])
        case .paste(let s):
            list.step = .renaming(from: from, to: to + s.unicodeScalars.filter { !CharWidth.isControl($0) })
        case .backspace, .ctrl("h"):
            list.step = .renaming(from: from, to: Array(to.dropLast()))
        case .enter:
            let target = String(String.UnicodeScalarView(to))
            if target == from {
                list.step = .browsing
                message = "Not renamed: the same path"
            } else if let problem = FileList.problem(with: target) {
                message = problem.description
                effects.append(.bell)
            } else if list.contains(target) {
                message = "\(target) exists already: not renamed"
                effects.append(.bell)
            } else {
                list.step = .browsing
                list.follow = target
                effects.append(.renameFile(from: from, to: target))
            }
        case .escape, .ctrl("c"):
            list.step = .browsing
            message = "Not renamed"
        case .ctrl("b"), .function(5):
            return true
        case .click:
            break
        default:
            effects.append(.bell)
        }
        return false
    }

    /// Asks the session to create `path` (and close the list), unless the
    /// editor is read-only, the path is refused (`FileList.problem`) or a file
    /// has it already: then a message and the bell. True when it asked.
    private mutating func create(_ path: String, in list: FileList, effects: inout [Effect]) -> Bool {
        guard refuseIfReadOnly(&effects) else { return false }
        if let problem = FileList.problem(with: path) {
            message = problem.description
            effects.append(.bell)
        } else if list.contains(path) {
            message = "\(path) exists already: Enter opens it"
            effects.append(.bell)
        } else {
            effects.append(.createFile(path))
            return true
        }
        return false
    }

    /// False (with the read-only message and the bell) when `readOnly` is set.
    private mutating func refuseIfReadOnly(_ effects: inout [Effect]) -> Bool {
        guard let why = readOnly else { return true }
        message = "Read-only: \(why). Nothing was changed"
        effects.append(.bell)
        return false
    }
}
