import Foundation
import Testing
import WeaveTestSupport

/// Issue 32: Neovim pairs with Weave's editor through `weave connect` and the
/// plugin in Editors/nvim. Real processes: `weave host` in one tmux server,
/// Neovim (with the plugin, which runs the built `weave connect`) in another;
/// Neovim's state is read from the plugin's JSON dump (its buffer, cursor,
/// status and the extmarks that draw peers' cursors).
enum NeovimEnvironment {
    static var hasNeovim: Bool { (try? Tmux.run(["nvim", "--version"], capture: false))?.status == 0 }
    static var runs: Bool { (hasNeovim && TestEnvironment.hasTmux) || TestEnvironment.isCI }
}

@Suite(.serialized, .enabled(if: NeovimEnvironment.runs, "Neovim or tmux is not installed (apt-get install neovim tmux): skipped (under CI=true they fail)"))
struct NeovimTests {
    /// The plugin's folder in this checkout.
    static let plugin = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Editors/nvim").path

    static func requireNeovim() throws {
        guard NeovimEnvironment.hasNeovim else { throw TmuxError("Neovim is not installed (apt-get install neovim); CI=true requires it") }
    }

    /// The plugin's text model (positions in code points, the final newline):
    /// its property test, run headless for three seeds.
    @Test func thePluginsTextModelHoldsForRandomLineChanges() throws {
        try Self.requireNeovim()
        for seed in 1 ... 3 {
            let r = try Tmux.run(["env", "SEED=\(seed)", "nvim", "--headless", "-n", "-u", "NONE",
                                  "-c", "luafile \(Self.plugin)/tests/text_spec.lua", "-c", "qa!"])
            #expect(r.status == 0 && r.output.contains("seed \(seed), 0 mismatches"), "seed \(seed): \(r.output)")
        }
    }

    /// Neovim in tmux with the plugin, joining with `args` (as :WeaveJoin takes them).
    static func neovim(_ dir: TempDir, weave: String, join args: String, file: String, in cwd: String? = nil) throws -> Tmux {
        try requireNeovim()
        let vimArgs = ["-n", "-u", "NONE", "-c", "'set rtp+=\(plugin)'", "-c", "'runtime! plugin/weave.lua'",
                       "-c", "'let g:weave_command=\"\(weave)\"'", "-c", "'let g:weave_name=\"bob\"'",
                       "-c", "'WeaveJoin \(args) \(file)'"]
        return try Tmux(command: "env " + (cwd.map { "-C \($0) " } ?? "") + "WEAVE_CONFIG_DIR=\(dir.path)/bob-config nvim " + vimArgs.joined(separator: " "))
    }

    /// The plugin's state, through `:lua require'weave'.dump(PATH)`.
    static func dump(_ vim: Tmux, _ dir: TempDir) throws -> [String: Any] {
        let path = dir.path + "/dump-\(UInt32.random(in: 0 ... .max)).json"
        vim.sendKeys("Escape")
        vim.sendText(":lua require'weave'.dump('\(path)')")
        vim.sendKeys("Enter")
        var data: Data?
        try waitUntil("Neovim wrote its state", seconds: 10, state: { vim.capture() }) {
            data = FileManager.default.contents(atPath: path)
            return data?.isEmpty == false
        }
        return try JSONSerialization.jsonObject(with: data!) as? [String: Any] ?? [:]
    }

    static func text(of state: [String: Any]) -> String {
        let lines = state["buffer"] as? [String] ?? []
        return lines.joined(separator: "\n") + ((state["eol"] as? Bool ?? false) ? "\n" : "")
    }

    @Test func neovimAndWeavesEditorTypeTogetherAndEndByteIdentical() throws {
        let dir = try TempDir()
        let file = dir.path + "/shared.txt"
        try "first line\nsecond line\n".write(toFile: file, atomically: false, encoding: .utf8)
        let weave = try Tmux.weaveBinaryForAnyUser(in: dir.path)
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice-config \(weave) host \(file) --port 0 --name alice")
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:")
        let args = try Tmux.joinArguments(weave: weave, file: file, config: dir.path + "/alice-config")
        let mine = dir.path + "/mine.txt"
        let vim = try Self.neovim(dir, weave: weave, join: args, file: mine)
        defer { vim.kill() }
        try vim.waitFor("second line")
        try host.waitFor("bob online")

        // Both type in the same line at once, with CJK and an emoji.
        vim.sendKeys("g", "g", "A")
        vim.sendText(" [nvim 日本🙂]")
        host.sendKeys("C-Home", "End")
        host.sendText(" [weave é]")
        vim.sendKeys("Escape")
        // Typed at one place at once, the two may interleave (the CRDT keeps
        // each side's characters in order): both must show the same line,
        // holding all of alice's text and, without it, all of bob's.
        func merged(_ line: String) -> Bool {
            line.contains(" [weave é]") && line.replacingOccurrences(of: " [weave é]", with: "") == "first line [nvim 日本🙂]"
        }
        try waitUntil("both hold both edits, the same", seconds: 15, state: { vim.capture() + "\n" + host.capture() }) {
            host.sendKeys("C-s")
            let v = Self.text(of: try Self.dump(vim, dir)).split(separator: "\n").first.map(String.init) ?? ""
            let h = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").first.map(String.init) ?? ""
            return merged(v) && v == h
        }

        // Alice's cursor is drawn in Neovim, with her name.
        try waitUntil("Neovim draws alice's cursor", seconds: 10) {
            let marks = try Self.dump(vim, dir)["marks"] as? [Any] ?? []
            return "\(marks)".contains("alice")
        }

        // A 2,000-line paste (:read of a file) arrives whole.
        let block = (1 ... 2000).map { "pasted line \($0) 🙂" }.joined(separator: "\n") + "\n"
        try block.write(toFile: dir.path + "/block.txt", atomically: false, encoding: .utf8)
        vim.sendKeys("G")
        vim.sendText(":r \(dir.path)/block.txt")
        vim.sendKeys("Enter")
        host.sendKeys("C-s")
        try waitUntil("the host holds the paste", seconds: 20, state: { host.capture() }) {
            host.sendKeys("C-s")
            let t = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            return t.contains("pasted line 1 🙂\n") && t.contains("pasted line 2000 🙂\n")
        }

        // Offline and back: edits on both sides meanwhile merge.
        vim.sendText(":WeaveOffline")
        vim.sendKeys("Enter")
        try waitUntil("Neovim says offline", seconds: 10) { (try Self.dump(vim, dir)["status"] as? String ?? "").hasPrefix("offline") }
        vim.sendKeys("g", "g", "O")
        vim.sendText("typed offline in nvim")
        vim.sendKeys("Escape")
        host.sendKeys("C-End")
        host.sendText("typed by alice meanwhile")
        usleep(300_000)
        #expect(!host.capture().contains("typed offline in nvim"), "an offline edit was sent")
        vim.sendText(":WeaveOffline")
        vim.sendKeys("Enter")
        try waitUntil("both sides hold both offline edits", seconds: 20, state: { host.capture() }) {
            let v = Self.text(of: try Self.dump(vim, dir))
            host.sendKeys("C-s")
            let h = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            return v.contains("typed offline in nvim") && v.contains("typed by alice meanwhile") && v == h
        }

        // Following alice: her moves move Neovim's cursor.
        vim.sendText(":WeaveFollow alice")
        vim.sendKeys("Enter")
        host.sendKeys("C-Home")
        try waitUntil("Neovim's cursor follows alice to the first line", seconds: 10) {
            (try Self.dump(vim, dir)["cursor"] as? [Int])?.first == 1
        }

        // Both save: the two files are byte for byte the same.
        host.sendKeys("C-s")
        vim.sendText(":w")
        vim.sendKeys("Enter")
        try waitUntil("both files are the same", seconds: 15, state: { vim.capture() }) {
            let a = FileManager.default.contents(atPath: file), b = FileManager.default.contents(atPath: mine)
            return a != nil && a == b && (try? Self.dump(vim, dir)["modified"] as? Bool) == false
        }
        let final = try String(contentsOfFile: mine, encoding: .utf8)
        #expect(final.hasPrefix("typed offline in nvim\nfirst line"))
        #expect(final.split(separator: "\n").contains { merged(String($0)) })
        #expect(final.components(separatedBy: "pasted line").count == 2001)
    }

    /// The client dying is said in Neovim, and :WeaveJoin starts it again.
    @Test func aDeadClientIsReportedAndCanBeRestarted() throws {
        let dir = try TempDir()
        let file = dir.path + "/shared.txt"
        try "hello\n".write(toFile: file, atomically: false, encoding: .utf8)
        let weave = try Tmux.weaveBinaryForAnyUser(in: dir.path)
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice-config \(weave) host \(file) --port 0 --name alice")
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:")
        let args = try Tmux.joinArguments(weave: weave, file: file, config: dir.path + "/alice-config")
        let vim = try Self.neovim(dir, weave: weave, join: args, file: dir.path + "/mine.txt")
        defer { vim.kill() }
        try vim.waitFor("hello")
        try host.waitFor("bob online")
        _ = try Tmux.run(["pkill", "-KILL", "-f", "^\(weave) connect"])
        try vim.waitFor("weave connect ended")
        try waitUntil("the status says stopped", seconds: 10) { (try Self.dump(vim, dir)["status"] as? String) == "stopped" }
        vim.sendText(":WeaveJoin \(args) \(dir.path)/mine.txt")
        vim.sendKeys("Enter")
        try waitUntil("online again", seconds: 15) { (try Self.dump(vim, dir)["status"] as? String ?? "").hasPrefix("online") }
        vim.sendKeys("g", "g", "A")
        vim.sendText(" again")
        vim.sendKeys("Escape")
        try host.waitFor("hello again")
    }

    /// A shared folder in Neovim: the first file opens at once, `:e` of a
    /// folder path shows that file from the session (a new path creates it on
    /// every peer), typing in each reaches the host's disk, the host's typing
    /// reaches Neovim's buffer, :WeaveFiles lists and opens, :w saves.
    @Test func aSharedFolderOpensFileByFileInNeovim() throws {
        let dir = try TempDir()
        let proj = dir.path + "/proj"
        try FileManager.default.createDirectory(atPath: proj + "/sub", withIntermediateDirectories: true)
        try "alpha\n".write(toFile: proj + "/a.txt", atomically: false, encoding: .utf8)
        try "# bee\n".write(toFile: proj + "/b.md", atomically: false, encoding: .utf8)
        try "sea\n".write(toFile: proj + "/sub/c.txt", atomically: false, encoding: .utf8)
        let weave = try Tmux.weaveBinaryForAnyUser(in: dir.path)
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice-config \(weave) host \(proj) --port 0 --name alice --open a.txt")
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:")
        var words = try Tmux.joinArguments(weave: weave, file: proj, config: dir.path + "/alice-config").split(separator: " ")
        words.removeLast()
        let mirror = dir.path + "/mirror"
        // Joined as a user does, into a folder named relative to Neovim's working directory.
        let vim = try Self.neovim(dir, weave: weave, join: words.joined(separator: " "), file: "mirror/", in: dir.path)
        defer { vim.kill() }
        try waitUntil("Neovim shows the folder's first file", seconds: 20, state: { vim.capture() }) {
            let state = try Self.dump(vim, dir)
            return state["root"] as? String == mirror && state["current"] as? String == "a.txt" && Self.text(of: state) == "alpha\n"
        }
        #expect((try Self.dump(vim, dir)["files"] as? [[String: Any]])?.compactMap { $0["path"] as? String } == ["a.txt", "b.md", "sub/c.txt"])

        // Typing in the first file, then in another opened with :e.
        vim.sendKeys("g", "g", "I")
        vim.sendText("nvim: ")
        vim.sendKeys("Escape")
        try waitForFile(proj + "/a.txt", toHold: "nvim: alpha\n", seconds: 15)
        vim.sendText(":e \(mirror)/b.md")
        vim.sendKeys("Enter")
        try waitUntil("b.md is shown from the session", seconds: 10, state: { vim.capture() }) {
            let state = try Self.dump(vim, dir)
            return state["current"] as? String == "b.md" && Self.text(of: state) == "# bee\n"
        }
        vim.sendKeys("G", "o")
        vim.sendText("written in neovim 日本🙂")
        vim.sendKeys("Escape")
        try waitForFile(proj + "/b.md", toHold: "# bee\nwritten in neovim 日本🙂\n", seconds: 15)

        // The host types in a.txt (the file it shows): Neovim's a.txt buffer gets it.
        host.sendKeys("C-End")
        host.sendText("from alice")
        try waitUntil("Neovim's a.txt holds alice's typing", seconds: 15, state: { host.capture() }) {
            let docs = try Self.dump(vim, dir)["docs"] as? [String: Any] ?? [:]
            let a = docs["a.txt"] as? [String: Any] ?? [:]
            return (a["lines"] as? [String]) == ["nvim: alpha", "from alice"]
        }

        // A new path is a new file of the folder, on the host's disk too.
        vim.sendText(":e \(mirror)/notes/new.txt")
        vim.sendKeys("Enter")
        try waitUntil("notes/new.txt is shown from the session", seconds: 10, state: { vim.capture() }) {
            let state = try Self.dump(vim, dir)
            return state["current"] as? String == "notes/new.txt" && (state["files"] as? [[String: Any]])?.count == 4
        }
        vim.sendKeys("i")
        vim.sendText("a new file")
        vim.sendKeys("Escape")
        // (A new file's text is empty: no final newline until one is typed.)
        try waitForFile(proj + "/notes/new.txt", toHold: "a new file", seconds: 15)

        // :WeaveFiles lists the folder and opens the one chosen (Neovim's inputlist: its number).
        try waitUntil("the list holds the new file", seconds: 10) {
            (try Self.dump(vim, dir)["files"] as? [[String: Any]])?.count == 4
        }
        vim.sendText(":WeaveFiles")
        vim.sendKeys("Enter")
        try vim.waitFor("sub/c.txt")
        vim.sendText("4")
        vim.sendKeys("Enter")
        try waitUntil("sub/c.txt is shown", seconds: 10, state: { vim.capture() }) {
            let state = try Self.dump(vim, dir)
            return state["current"] as? String == "sub/c.txt" && Self.text(of: state) == "sea\n"
        }

        // :w in b.md writes the mirror's b.md.
        vim.sendText(":e \(mirror)/b.md")
        vim.sendKeys("Enter")
        vim.sendText(":w")
        vim.sendKeys("Enter")
        try waitForFile(mirror + "/b.md", toHold: "# bee\nwritten in neovim 日本🙂\n", seconds: 10)
    }
}
