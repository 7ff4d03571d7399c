import Foundation
import Testing
import WeaveStore
import WeaveTestSupport

/// Issue 30, defects 4 and 6: every numeric option is checked (finite, in
/// range) with a sentence naming the option and its range, before anything
/// is created; a busy port and an unknown host are said at once.
@Suite(.enabled(if: TestEnvironment.binaryTestsRun, "the weave binary is not built (swift build)"))
struct OptionCheckTests {
    func run(_ args: [String], in dir: String) throws -> (status: Int32, output: String) {
        try Tmux.run(["sh", "-c", "cd '\(dir)' && '\(try Tmux.weaveBinary())' " + args.map { "'\($0)'" }.joined(separator: " ") + " 2>&1 </dev/null"])
    }

    /// A join whose --timeout is not a usable number of seconds: refused by
    /// name and range, never a trap, an event-loop error or "Missing value".
    @Test(arguments: ["nan", "inf", "-inf", "1e300", "0", "-1", "-0.5", "86401"])
    func aJoinTimeoutOutOfRangeIsRefusedByName(value: String) throws {
        let dir = try TempDir("opt")
        let started = Date()
        let r = try run(["join", "127.0.0.1:9", "--invite", "wv1-x", "--timeout", value], in: dir.path)
        #expect(r.status == 64, "\(value): status \(r.status): \(r.output)")
        #expect(r.output.contains("--timeout must be"), "\(value): \(r.output)")
        #expect(r.output.contains("more than 0 and at most 86400 seconds"), "\(value): \(r.output)")
        #expect(!r.output.contains("Missing value") && !r.output.contains("Fatal error") && !r.output.contains("EventLoop"), "\(value): \(r.output)")
        #expect(Date().timeIntervalSince(started) < 5, "\(value): took \(Date().timeIntervalSince(started)) s")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test(arguments: [["host", "doc.txt", "--port", "-1"], ["host", "doc.txt", "--port", "65536"],
                      ["serve", "doc.txt", "--port", "-1"], ["serve", "doc.txt", "--port", "70000"]])
    func aPortOutOfRangeIsRefusedByName(args: [String]) throws {
        let dir = try TempDir("opt")
        let r = try run(args, in: dir.path)
        #expect(r.status == 64, "\(args): \(r.output)")
        #expect(r.output.contains("--port must be between 0 and 65535 (got \(args[3]))"), "\(args): \(r.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "\(args) created files")
    }

    /// `--at -5` (and the others that count edits) name the option and the history's range.
    @Test func aNegativeEditCountIsRefusedByNameAndRange() throws {
        let dir = try TempDir("opt")
        try "a\n".write(toFile: dir.file("h.txt"), atomically: false, encoding: .utf8)
        do { _ = try StoredDocument(file: dir.file("h.txt"), author: "me") }  // a history of one edit
        for args in [["show", "h.txt", "--at", "-5"], ["blame", "h.txt", "--at", "-5"], ["diff", "h.txt", "--from", "-1"],
                     ["diff", "h.txt", "--from", "0", "--to", "-2"]] {
            let r = try run(args, in: dir.path)
            #expect(r.status != 0, "\(args): \(r.output)")
            #expect(r.output.contains("\(args[args.count - 2]) \(args.last!) is outside the history") && r.output.contains("(use 0…"),
                    "\(args): \(r.output)")
            #expect(!r.output.contains("Missing value"), "\(args): \(r.output)")
        }
        let gap = try run(["log", "h.txt", "--gap", "-1"], in: dir.path)
        #expect(gap.status == 64 && gap.output.contains("--gap must be at least 0 and at most"), "\(gap.output)")
        let nanGap = try run(["log", "h.txt", "--gap", "nan"], in: dir.path)
        #expect(nanGap.status == 64 && nanGap.output.contains("--gap must be a number of seconds"), "\(nanGap.output)")
    }

    /// A name that does not resolve is said at once, not after the timeout.
    @Test func anUnknownHostIsSaidAtOnce() throws {
        let dir = try TempDir("opt")
        let started = Date()
        let r = try run(["join", "nonexistent.invalid:7070", "--invite", "wv1-x"], in: dir.path)
        #expect(r.status != 0)
        #expect(r.output.contains("unknown host nonexistent.invalid"), "\(r.output)")
        #expect(Date().timeIntervalSince(started) < 5, "took \(Date().timeIntervalSince(started)) s")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    /// A host whose port is taken says so in words and leaves no history behind.
    @Test func aBusyPortIsSaidAndLeavesNothingBehind() throws {
        let dir = try TempDir("opt")
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: addr.sin_port))
        try "text\n".write(toFile: dir.file("doc.txt"), atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir.file("folder"), withIntermediateDirectories: false)
        try "text\n".write(toFile: dir.file("folder/f.txt"), atomically: false, encoding: .utf8)
        for command in [["host", "doc.txt"], ["host", "folder"], ["serve", "doc.txt"]] {
            let r = try run(command + ["--port", String(port)], in: dir.path)
            #expect(r.status != 0, "\(command)")
            #expect(r.output.contains("cannot listen on 127.0.0.1:\(port): Address already in use"), "\(command): \(r.output)")
            #expect(!r.output.contains("bind(descriptor"), "\(command): \(r.output)")
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == ["doc.txt", "folder"], "\(command): a history was left behind")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("folder")) == ["f.txt"], "\(command): the folder was changed")
        }
    }

    /// `weave edit ''` says the name is empty (not "cannot replace : No such
    /// file or directory") and creates nothing. In tmux: without a terminal
    /// weave edit stops before it looks at the name.
    @Test(.enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed (under CI=true this fails)"))
    func anEmptyFileNameIsRefusedAndCreatesNothing() throws {
        let dir = try TempDir("opt")
        let tmux = try Tmux(command: "sh -c 'cd \(dir.path) && exec \(try Tmux.weaveBinary()) edit \"\"'")
        defer { tmux.kill() }
        let screen = try tmux.waitFor("WEAVE-EXIT=")
        #expect(screen.contains("an empty name is not a file name"), "\(screen)")
        #expect(screen.contains("WEAVE-EXIT=1"), "\(screen)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
