import WeaveCore

/// The key map: `handle(_:)` is the editor's only entry point for input.
///
///   edit mode   keys edit and move (see `Help.bindings`)
///   help mode   arrows, pages and the wheel scroll it; other keys close it
///   prompt mode characters edit the prompt; Enter answers, Esc/Ctrl-C cancels
///   replacing   y, n, a or Esc answer about the highlighted match (Editor+Replace.swift)
///   file list   (edit mode with `fileList` open) keys filter, select, open,
///               create, rename, delete files (Editor+FileList.swift)
extension Editor {
    /// Applies `key` and returns what the host must do. Local edits made by the
    /// key come back as one `.broadcast` effect. Never fails: keys with nothing
    /// to do ring the bell or leave a message.
    public mutating func handle(_ key: Key) -> [Effect] {
        var effects: [Effect] = []
        if case .resize(let w, let h) = key {
            resize(Size(width: w, height: h))
            return []
        }
        switch mode {
        case .help:
            handleHelp(key)  // scrolls, or closes on any other key (Help.swift)
        case .prompt(let p):
            handlePrompt(p, key)
        case .replacing:
            handleReplacing(key)
        case .edit where fileList != nil:
            if case .wheel(let rows) = key {
                for _ in 0 ..< abs(rows) { handleFileList(rows < 0 ? .up : .down, effects: &effects) }
            } else {
                handleFileList(key, effects: &effects)
            }
        case .edit where pane != nil:
            handlePane(key, effects: &effects)
        case .edit:
            message = nil
            matchLength = nil
            let wasArmed = quitArmed
            quitArmed = false
            let wasSaveArmed = saveArmed
            saveArmed = false
            let wasCut = lastKeyWasCut
            lastKeyWasCut = false
            let key = keyBindings.translate(key)
            handleEdit(key, wasArmed: wasArmed, wasSaveArmed: wasSaveArmed, wasCut: wasCut, effects: &effects)
        }
        followCursor()
        refreshSyntax()
        if !outgoing.isEmpty {
            effects.insert(.broadcast(outgoing), at: 0)
            outgoing = []
        }
        if clipboardChanged {
            clipboardChanged = false
            if !cutBuffer.isEmpty { effects.append(.clipboard(String(String.UnicodeScalarView(cutBuffer)))) }
        }
        return effects
    }

    /// The pure form: `(state, key) -> (state, effects)`.
    public static func reduce(_ state: Editor, _ key: Key) -> (Editor, [Effect]) {
        var s = state
        let e = s.handle(key)
        return (s, e)
    }

    /// Whether `key` would change the document or write the file in edit mode.
    public static func edits(_ key: Key) -> Bool {
        switch key {
        case .char, .enter, .tab, .shift(.tab), .paste, .backspace, .delete,
             .ctrl("h"), .ctrl("d"), .ctrl("k"), .ctrl("u"), .ctrl("z"), .ctrl("y"), .ctrl("s"),
             .alt("r"), .alt("R"), .ctrl("\\"):
            return true
        default:
            return false
        }
    }

    private mutating func handleEdit(_ key: Key, wasArmed: Bool, wasSaveArmed: Bool, wasCut: Bool, effects: inout [Effect]) {
        if let why = readOnly, Self.edits(key) || key == .ctrl("x") || key == .ctrl("v") {
            message = "Read-only: \(why). Nothing was changed"
            effects.append(.bell)
            return
        }
        if handleMouse(key) { return }
        if handleSelectionKey(key, wasCut: wasCut) { return }
        endSelectionBefore(key)
        var key = key
        if case .shift(let inner) = key, Self.moves(inner) { key = inner }
        switch key {
        case .char(let c): insertAtCursor([c], kind: .typing)
        case .enter: newlineKeepingIndent()
        case .tab: typeTab()
        case .paste(let s): pasteBlock(s)
        case .backspace, .ctrl("h"): backspace()
        case .delete, .ctrl("d"): deleteForward()

        case .left: move(to: previousBoundary(doc.cursor))
        case .right: move(to: nextBoundary(doc.cursor))
        case .up: undo.seal(); moveVertically(-1)
        case .down: undo.seal(); moveVertically(1)
        case .home, .ctrl("a"): move(to: lineStart)
        case .end, .ctrl("e"): move(to: lineEnd)
        case .pageUp: undo.seal(); moveVertically(-max(1, textHeight - 1)); scrollPage(-1)
        case .pageDown: undo.seal(); moveVertically(max(1, textHeight - 1)); scrollPage(1)
        case .ctrlHome: move(to: 0)
        case .ctrlEnd: move(to: doc.buffer.count)
        case .ctrlLeft: move(to: previousWordStart(doc.cursor))
        case .ctrlRight: move(to: nextWordStart(doc.cursor))
        case .click(let x, let y):
            undo.seal()
            click(x: x, y: y)
            dragOrigin = y < textHeight ? anchorAt(doc.cursor) : nil

        case .ctrl("k"):
            // `cutLine` reads `lastKeyWasCut` as "the previous key was a cut".
            lastKeyWasCut = wasCut
            cutLine()
            lastKeyWasCut = true
        case .ctrl("u"): paste()
        case .ctrl("z"): performUndo()
        case .ctrl("y"): performRedo()
        case .ctrl("f"), .ctrl("w"):
            mode = .prompt(Prompt(label: queryLabel("Find"), input: []))
        case .alt("r"), .alt("R"), .ctrl("\\"): askReplace()
        case .alt("g"), .alt("G"), .ctrl("_"):
            undo.seal()
            mode = .prompt(Prompt(label: "Go to line[:column]", input: [], purpose: .goToLine))
        case .function(3), .alt("w"): undo.seal(); findAgain(forward: true)
        case .function(4), .function(15), .alt("q"): undo.seal(); findAgain(forward: false)
        case .function(2), .ctrl("t"):
            undo.seal()
            effects.append(.openTimeTravel)
        case .ctrl("o"):
            softWrap.toggle()
            message = softWrap ? "Soft wrap on" : "Soft wrap off"
        case .ctrl("n"):
            lineNumbers.toggle()
            message = lineNumbers ? "Line numbers on" : "Line numbers off"
        case .ctrl("l"): effects.append(.redraw)
        case .ctrl("s"):
            effects.append(wasSaveArmed ? .saveAnyway(text: doc.buffer.text) : .save(text: doc.buffer.text))
        case .ctrl("q"):
            if modified && !wasArmed {
                quitArmed = true
                // Say what quitting really does: the edits are already in the
                // history (they come back on reopen); only the plain file is not written.
                message = historyStatus == "in memory"
                    ? "Unsaved! Ctrl-Q again quits; this in-memory copy is then gone."
                    : "Unsaved! Ctrl-S saves. Ctrl-Q quits: \(fileName) unchanged, edits in history"
            } else {
                effects.append(.quit)
            }
        case .function(1), .ctrl("g"): mode = .help
        case .ctrl("b"), .function(5): openFileList()
        case .escape: break
        default: effects.append(.bell)
        }
    }

    /// Moves the cursor without editing: ends any typing burst.
    private mutating func move(to i: Int) {
        undo.seal()
        setCursor(i)
    }

    /// PgUp/PgDn also move the view by a page, so the text scrolls as a page.
    private mutating func scrollPage(_ direction: Int) {
        var t = top, walk = RowWalk()
        for _ in 0 ..< max(1, textHeight - 1) {
            guard let n = direction > 0 ? rowAfter(t, &walk) : rowBefore(t, &walk) else { break }
            t = n
        }
        top = t
    }

    private mutating func handlePrompt(_ p: Prompt, _ key: Key) {
        var p = p
        p.note = nil
        if p.searches, toggleSearchSwitch(key, &p) { mode = .prompt(p); return }
        switch key {
        case .char(let c): p.input.append(c); mode = .prompt(p)
        case .paste(let s): p.input += s.unicodeScalars.filter { $0 != "\n" && $0 != "\r" }; mode = .prompt(p)
        case .backspace, .ctrl("h"): if !p.input.isEmpty { p.input.removeLast() }; mode = .prompt(p)
        case .escape, .ctrl("c"), .ctrl("g"):
            mode = .edit
            message = "Cancelled"
        case .enter where p.purpose == .goToLine:
            mode = .edit
            goToLine(String(String.UnicodeScalarView(p.input)))
        case .enter where p.purpose == .replaceFind:
            answerReplaceFind(p)
        case .enter:
            if case .replaceWith(let needle) = p.purpose {
                startReplace(needle, with: p.input)
                return
            }
            let needle = p.input.isEmpty ? lastSearch : p.input
            if !needle.isEmpty {
                do { _ = try searchQuery(needle) } catch {
                    p.note = error.description  // the prompt stays, to mend the pattern
                    mode = .prompt(p)
                    return
                }
            }
            mode = .edit
            if !p.input.isEmpty { lastSearch = p.input }
            undo.seal()
            findAgain(forward: true)
        default:
            mode = .prompt(p)
        }
    }


    /// Alt-G / Ctrl-_: moves to "LINE" or "LINE:COLUMN" (1-based; columns count
    /// characters). A line past the end goes to the last line, a column past the
    /// line's end to its end, and each says so; anything else is refused with a
    /// message.
    mutating func goToLine(_ answer: String) {
        let parts = answer.trimmingSpaces.split(separator: ":", omittingEmptySubsequences: false)
        guard (1 ... 2).contains(parts.count), let line = Int(parts[0]), line >= 1,
              parts.count == 1 || Int(parts[1]).map({ $0 >= 1 }) == true else {
            message = answer.isEmpty ? "Cancelled" : "Not a line number: \(answer) (LINE or LINE:COLUMN, from 1)"
            return
        }
        let b = doc.buffer
        let target = min(line, b.lineCount)
        let start = b.lineStarts[target - 1]
        let end = target < b.lineCount ? b.lineStarts[target] - 1 : b.count
        let column = parts.count == 2 ? Int(parts[1])! : 1
        setCursor(min(start + column - 1, end))
        var notes: [String] = []
        if target < line { notes.append("the last line is \(b.lineCount)") }
        if start + column - 1 > end { notes.append("line \(target) has \(end - start) characters") }
        message = notes.isEmpty ? nil : "Line \(target): " + notes.joined(separator: "; ")
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = self[...]
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
