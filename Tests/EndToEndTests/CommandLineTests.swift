import Foundation
import Testing
import WeaveTestSupport

/// The `weave` command line as a user meets it: typos are refused before
/// anything is created, unknown options are named, and --version answers.
@Suite(.enabled(if: TestEnvironment.binaryTestsRun, "the weave binary is not built (swift build)"))
struct CommandLineTests {
    func run(_ args: [String], in dir: String) throws -> (status: Int32, output: String) {
        try Tmux.run(["sh", "-c", "cd '\(dir)' && '\(try Tmux.weaveBinary())' " + args.map { "'\($0)'" }.joined(separator: " ") + " 2>&1 </dev/null"])
    }

    @Test func aMistypedCommandIsRefusedAndCreatesNothing() throws {
        let dir = try TempDir("cli")
        let r = try run(["invitatons", "notes.txt"], in: dir.path)
        #expect(r.status == 64)
        #expect(r.output.contains("did you mean 'invitations'?"), "\(r.output)")
        let alone = try run(["invitatons"], in: dir.path)
        #expect(alone.status == 64)
        #expect(alone.output.contains("did you mean 'invitations'?"), "\(alone.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "a typo created files")
    }

    @Test func anUnknownOptionIsNamed() throws {
        let dir = try TempDir("cli")
        let r = try run(["--bogus"], in: dir.path)
        #expect(r.status == 64)
        #expect(r.output.contains("unknown option '--bogus'"), "\(r.output)")
    }

    @Test func versionAndHelpAnswer() throws {
        let dir = try TempDir("cli")
        let v = try run(["--version"], in: dir.path)
        #expect(v.status == 0 && v.output.hasPrefix("0."), "\(v.output)")
        let h = try run(["--help"], in: dir.path)
        #expect(h.status == 0 && h.output.contains("SUBCOMMANDS"), "\(h.output)")
        #expect(!h.output.contains("bench"), "benchmarks are not user commands")
    }

    /// A file whose name is close to a command is still edited when it exists.
    @Test func anExistingFileNamedLikeACommandIsAFile() throws {
        let dir = try TempDir("cli")
        try "x\n".write(toFile: dir.file("lgo"), atomically: false, encoding: .utf8)
        let r = try run(["lgo"], in: dir.path)
        #expect(r.output.contains("needs a terminal"), "it went on to the editor: \(r.output)")
    }

    /// Without a terminal, weave edit says so and leaves nothing behind.
    @Test func noTerminalCreatesNoFile() throws {
        let dir = try TempDir("cli")
        let r = try run(["edit", "new.txt"], in: dir.path)
        #expect(r.status != 0)
        #expect(r.output.contains("needs a terminal"), "\(r.output)")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(left.isEmpty, "files were created: \(left)")
    }
}
