import Foundation
import Testing
import WeaveTestSupport

/// End-to-end at 80x24 for issue 33's settings file: a settings.toml that
/// rebinds a key (the new key saves) and turns line numbers on; one with a
/// bad value (its sentence on the message line, the other settings in
/// force); a bracket's match read with `capture-pane -e`; `weave settings`.
@Suite(.serialized, .enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed: end-to-end settings tests skipped (under CI=true they fail)"))
struct SettingsTmuxTests {
    /// Opens `text` as `name` in weave in tmux, with `settings` as the
    /// settings file (WEAVE_CONFIG_DIR points at it).
    func open(_ name: String, _ text: String, settings: String) throws -> (Tmux, String, TempDir) {
        let dir = try TempDir()
        let config = dir.file("config")
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        try settings.write(toFile: config + "/settings.toml", atomically: false, encoding: .utf8)
        let file = dir.file(name)
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        let tmux = try Tmux(command: "env -u NO_COLOR -u WEAVE_MOUSE -u WEAVE_OSC52 WEAVE_CONFIG_DIR=\(config) \(try Tmux.weaveBinary()) edit \(file)",
                            width: 80, height: 24)
        try tmux.waitFor("[saved]")
        return (tmux, file, dir)
    }

    @Test func aReboundKeySaves() throws {
        let (tmux, file, dir) = try open("k.txt", "abc\n", settings: "line_numbers = true\n\n[keys]\nsave = \"ctrl-w\"\n")
        defer { tmux.kill(); _ = dir }
        try tmux.waitFor("  1 abc")  // the line-number gutter
        tmux.sendText("X")
        try tmux.waitFor("[modified]")
        tmux.sendKeys("C-w")  // built in: find; bound: save
        try tmux.waitFor("Saved k.txt")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "Xabc\n")
    }

    @Test func aBadValueIsSaidAndTheRestApply() throws {
        let (tmux, _, dir) = try open("b.txt", "abc\n", settings: "line_numbers = true\ntab_width = 0\n")
        defer { tmux.kill(); _ = dir }
        let screen = try tmux.waitFor("settings.toml line 2: tab_width must be a whole number from 1 to 16, not 0")
        #expect(screen.contains("  1 abc"), "\(screen)")
        // Said once: gone after the next key.
        tmux.sendKeys("Right")
        try waitUntil("the sentence is cleared", seconds: 10, state: { tmux.capture() }) {
            !tmux.capture().contains("tab_width")
        }
    }

    @Test func aFileThatIsNotTOMLIsSaidAndTheDefaultsApply() throws {
        let (tmux, _, dir) = try open("n.txt", "abc\n", settings: "line_numbers = true\nthis is not toml\n")
        defer { tmux.kill(); _ = dir }
        let screen = try tmux.waitFor("settings.toml line 2 is not TOML")
        #expect(screen.split(separator: "\n").first == "abc", "\(screen)")  // no gutter: defaults
    }

    @Test func aBracketsMatchIsBoldAndUnderlined() throws {
        let (tmux, _, dir) = try open("m.swift", "f(a[1], {b})\n", settings: "")
        defer { tmux.kill(); _ = dir }
        tmux.sendKeys("Right")  // the cursor on "("
        try tmux.waitFor("Ln 1, Col 2")
        let first = tmux.captureWithAttributes().split(separator: "\n").first.map(String.init) ?? ""
        // tmux writes bold and underline as SGR 1 and 4 before the character.
        let marked = try Regex("\u{1B}\\[[0-9;]*4[0-9;]*m\\)")
        #expect(first.contains(marked), "\(first.debugDescription)")
        #expect(first.contains(try Regex("\u{1B}\\[[0-9;]*4[0-9;]*m\\(")), "\(first.debugDescription)")
        #expect(!first.contains(try Regex("4[0-9;]*m\\]")), "\(first.debugDescription)")
    }

    @Test func weaveSettingsSaysWhereEachValueComesFrom() throws {
        let dir = try TempDir()
        try "tab_width = 4\nmouse = 3\n[keys]\nsave = \"ctrl-w\"\n".write(toFile: dir.file("settings.toml"), atomically: false, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Tmux.weaveBinary())
        p.arguments = ["settings"]
        p.environment = ["WEAVE_CONFIG_DIR": dir.path, "PATH": "/usr/bin:/bin", "WEAVE_OSC52": "1"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(text.contains("Settings file: \(dir.path)/settings.toml (exists)"), "\(text)")
        #expect(text.contains(try Regex("tab_width = 4 +# file")), "\(text)")
        #expect(text.contains(try Regex("mouse = true +# default")), "\(text)")
        #expect(text.contains(try Regex("osc52 = true +# environment")), "\(text)")
        #expect(text.contains(try Regex("save = \"ctrl-w\" +# file")), "\(text)")
        #expect(text.contains("settings.toml line 2: mouse must be true or false, not 3"), "\(text)")
    }
}
