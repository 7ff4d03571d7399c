import Foundation

/// What the machine running the tests offers, and what a test that cannot run
/// does about it: under CI (`CI=true`) it must run, so it is enabled and fails
/// with its reason; elsewhere it is skipped with that reason (never shown as
/// passed).
public enum TestEnvironment {
    /// Whether this is CI (`$CI` set to `true` or `1`).
    public static var isCI: Bool {
        let v = ProcessInfo.processInfo.environment["CI"]?.lowercased()
        return v == "true" || v == "1"
    }

    /// Whether tmux is installed.
    public static var hasTmux: Bool { (try? Tmux.run(["tmux", "-V"], capture: false))?.status == 0 }

    /// For `.enabled(if:)` on tests that drive tmux: true when tmux is there, or under CI.
    public static var tmuxTestsRun: Bool { hasTmux || isCI }

    /// For `.enabled(if:)` on tests that start the built binaries: true when
    /// they are there, or under CI.
    public static var binaryTestsRun: Bool { Binaries.weave != nil || isCI }

    /// Throws the reason when tmux is missing (reached under CI only: elsewhere
    /// the test is skipped before it starts).
    public static func requireTmux() throws {
        guard hasTmux else { throw TmuxError("tmux is not installed (apt-get install tmux); CI=true requires it") }
    }
}

/// The executables built beside the test bundle (`.build/debug/weave`, …).
public enum Binaries {
    /// The build folder the running test bundle is in.
    public static var buildDirectory: URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        if dir.path.hasSuffix(".xctest/Contents/MacOS") {
            dir = dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        }
        return dir
    }

    /// The path of the built executable `name`, or nil when it is not there.
    public static func path(_ name: String) -> String? {
        let bin = buildDirectory.appendingPathComponent(name).path
        return FileManager.default.isExecutableFile(atPath: bin) ? bin : nil
    }

    /// The built executable `name`; throws the reason when it is missing.
    public static func require(_ name: String) throws -> String {
        guard let p = path(name) else {
            throw TmuxError("no \(name) binary in \(buildDirectory.path): build it first (swift build)")
        }
        return p
    }

    public static var weave: String? { path("weave") }
}

/// The fuzzers' corpora (FuzzTesting/Corpus/TARGET), replayed by the suites.
public enum FuzzCorpus {
    /// The repository's root, found from this source file.
    public static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Every file of `target`'s corpus, by name, in name order. Throws when the
    /// folder is missing (a corpus that is not there must not pass as replayed).
    public static func load(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let dir = repositoryRoot + "/FuzzTesting/Corpus/" + target
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.sorted()
        return try names.map { name in
            (name, [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))))
        }
    }
}

/// The real editing traces, kept outside the repository: `$WEAVE_TRACES`, else
/// `../shared/traces` beside the repository (as CI lays it out).
public enum TestTraces {
    public static let howToGetThem =
        "set WEAVE_TRACES to a folder holding automerge-paper.json.gz and friendsforever.json.gz "
        + "(github.com/josephg/editing-traces), or place them in ../shared/traces beside the repository"

    /// The folder, or nil when neither place has one.
    public static var directory: String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["WEAVE_TRACES"] { candidates.append(env) }
        candidates.append(FuzzCorpus.repositoryRoot + "/../shared/traces")
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/.") }
    }

    public static func present(_ name: String) -> Bool {
        directory.map { FileManager.default.isReadableFile(atPath: $0 + "/" + name) } ?? false
    }

    /// For `.enabled(if:)`: the trace is there, or this is CI, which must have
    /// it (the test runs and fails on the missing file). Elsewhere a missing
    /// trace skips the test with its reason.
    public static func runnable(_ name: String) -> Bool { present(name) || TestEnvironment.isCI }

    /// The trace's path; throws the reason when it is missing.
    public static func path(_ name: String) throws -> String {
        guard let d = directory, present(name) else { throw TmuxError("\(name) is missing: \(howToGetThem)") }
        return d + "/" + name
    }
}
