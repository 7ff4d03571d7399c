import Foundation
import Testing
import WeaveStore
import WeaveTestSupport

/// Which files of a folder a workspace shares, rule by rule.
@Suite struct FolderScanTests {
    /// A temporary folder holding `files` (path → content; a path ending in
    /// "/" is an empty folder).
    static func folder(_ files: [String: String]) throws -> TempDir {
        let dir = try TempDir("scan")
        for (path, content) in files { try write(dir, path, Array(content.utf8)) }
        return dir
    }

    static func write(_ dir: TempDir, _ path: String, _ bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: dir.file(path))
        if path.hasSuffix("/") {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return
        }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    static func reasons(_ scan: FolderScan) -> [String: String] {
        Dictionary(scan.skipped.map { ($0.path, $0.reason) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func textFilesAreFoundRecursivelyAndSortedNameByName() throws {
        let dir = try Self.folder(["a.txt": "a", "a-b.txt": "", "a/b.md": "b\n", "a/deeper/c.swift": "let c = 1", "empty/": "",
                                   "z y/x w.txt": "spaces", "日本語.txt": "テキスト"])
        let scan = try FolderScan.scan(dir.path)
        #expect(scan.files == ["a/b.md", "a/deeper/c.swift", "a-b.txt", "a.txt", "z y/x w.txt", "日本語.txt"])
        #expect(scan.skipped.isEmpty)
    }

    /// Hidden names are left out silently, but for hidden folders at the top,
    /// listed once each (not what is inside them).
    @Test func hiddenNamesAreNotShared() throws {
        let dir = try Self.folder([".git/config": "x", ".weave/state": "x", ".notes.txt.weave": "x", "notes.txt": "n",
                                   "sub/.hidden": "x", "sub/.cache/x": "x", "sub/shown": "s", ".env": "SECRET=1"])
        let scan = try FolderScan.scan(dir.path)
        #expect(scan.files == ["notes.txt", "sub/shown"])
        #expect(scan.skipped.map(\.path) == [".git", ".weave"])
        #expect(scan.skipped.allSatisfy { $0.reason == FolderScan.hiddenFolder })
    }

    @Test func symbolicLinksAreNotFollowed() throws {
        let dir = try Self.folder(["real.txt": "r", "folder/inside.txt": "i"])
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.txt"), withDestinationPath: "real.txt")
        try FileManager.default.createSymbolicLink(atPath: dir.file("loop"), withDestinationPath: ".")
        try FileManager.default.createSymbolicLink(atPath: dir.file("folder/up"), withDestinationPath: "..")
        let scan = try FolderScan.scan(dir.path)
        #expect(scan.files == ["folder/inside.txt", "real.txt"])
        #expect(Self.reasons(scan) == ["link.txt": "symbolic link", "loop": "symbolic link", "folder/up": "symbolic link"])
    }

    @Test func gitignoreRulesApply() throws {
        let dir = try Self.folder([
            ".gitignore": "# build output\n\n*.log\n!keep.log\nbuild/\n/top.txt\ndocs/*.tmp\n**/gen/**\nnot-a-folder/\n",
            "a.log": "x", "sub/b.log": "x", "keep.log": "k", "build/out.txt": "x", "sub/build/out.txt": "x",
            "top.txt": "x", "sub/top.txt": "kept: not at the root", "docs/x.tmp": "x", "docs/inner/y.tmp": "kept: anchored one level",
            "src/gen/a.swift": "x", "not-a-folder": "a file, kept", "src/main.swift": "m",
        ])
        let scan = try FolderScan.scan(dir.path)
        #expect(scan.files == ["docs/inner/y.tmp", "keep.log", "not-a-folder", "src/main.swift", "sub/top.txt"])
        #expect(Self.reasons(scan) == [
            "a.log": FolderScan.ignored, "sub/b.log": FolderScan.ignored, "build": FolderScan.ignored,
            "sub/build": FolderScan.ignored, "top.txt": FolderScan.ignored, "docs/x.tmp": FolderScan.ignored,
            "src/gen/a.swift": FolderScan.ignored,
        ], "an ignored folder is listed once and not entered")
    }

    @Test func binaryAndNonUTF8FilesSayWhich() throws {
        let dir = try Self.folder(["text.txt": "ok"])
        try Self.write(dir, "image.png", [0x89, 0x50, 0x4E, 0x47, 0x00, 0x01])
        try Self.write(dir, "latin1.txt", [0x63, 0x61, 0x66, 0xE9])
        let scan = try FolderScan.scan(dir.path)
        #expect(scan.files == ["text.txt"])
        let reasons = Self.reasons(scan)
        #expect(reasons["image.png"] == "binary file: it contains a NUL byte at offset 4 (a binary file?)")
        #expect(reasons["latin1.txt"] == "not UTF-8 text: it is not valid UTF-8 (at byte 3)")
    }

    @Test func filesOverTheSizeLimitAreLeftOut() throws {
        let dir = try Self.folder(["small.txt": String(repeating: "a", count: 100), "big.txt": String(repeating: "b", count: 101)])
        let scan = try FolderScan.scan(dir.path, sizeLimit: 100)
        #expect(scan.files == ["small.txt"])
        #expect(Self.reasons(scan) == ["big.txt": "too large: 101 bytes, the limit is 100"])
        #expect(try FolderScan.scan(dir.path).files == ["big.txt", "small.txt"], "the default limit is 1 MiB")
    }

    @Test func namesThatCannotBeSharedAreLeftOut() throws {
        let dir = try Self.folder(["fine.txt": "f", "line\nbreak.txt": "x", "bad\rfolder/inside.txt": "x"])
        // A name that is not UTF-8: Latin-1 "café".
        let raw: [UInt8] = Array(dir.path.utf8) + [0x2F, 0x63, 0x61, 0x66, 0xE9, 0]
        let fd = raw.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
        }
        #expect(fd >= 0)
        close(fd)
        let scan = try FolderScan.scan(dir.path)
        #expect(scan.files == ["fine.txt"])
        let reasons = Self.reasons(scan)
        #expect(reasons["line\nbreak.txt"] == "cannot be shared: line\\nbreak.txt: a shared path cannot contain a line break")
        #expect(reasons["bad\rfolder"] == "cannot be shared: bad\\rfolder: a shared path cannot contain a carriage return",
                "a folder that cannot be shared is listed once")
        #expect(reasons["caf\u{FFFD}"] == "its name is not valid UTF-8")
        #expect(scan.skipped.count == 3)
    }

    @Test func otherKindsOfFilesAreLeftOut() throws {
        let dir = try Self.folder(["a.txt": "a"])
        #expect(mkfifo(dir.file("pipe"), 0o644) == 0)
        let scan = try FolderScan.scan(dir.path)
        #expect(scan.files == ["a.txt"])
        #expect(Self.reasons(scan) == ["pipe": "not a regular file (a named pipe)"])
    }

    @Test func aMissingRootOrAFileIsAClearError() throws {
        let dir = try Self.folder(["file.txt": "x"])
        #expect(throws: FolderScanError.missing(dir.file("nope"))) { try FolderScan.scan(dir.file("nope")) }
        #expect(throws: FolderScanError.notAFolder(dir.file("file.txt"))) { try FolderScan.scan(dir.file("file.txt")) }
        #expect(FolderScanError.missing("/x/nope").description == "cannot share /x/nope: there is no such folder")
        #expect(FolderScanError.notAFolder("/x/f").description == "cannot share /x/f: it is not a folder")
        #expect(try FolderScan.scan(dir.path + "/").files == ["file.txt"], "a trailing slash is the same folder")
    }

    /// The matcher alone: (patterns, path, is a folder, ignored).
    @Test func gitignoreMatcherTable() {
        let table: [(String, String, Bool, Bool)] = [
            ("", "a", false, false),
            ("# a", "# a", false, false),
            ("\\#a", "#a", false, true),
            ("\\!a", "!a", false, true),
            ("a", "a", false, true),
            ("a", "x/a", false, true),
            ("a", "x/a", true, true),
            ("a", "ab", false, false),
            ("*.log", "x/y/z.log", false, true),
            ("*.log", "z.log.txt", false, false),
            ("?.c", "a.c", false, true),
            ("?.c", "ab.c", false, false),
            ("?", "é", false, true),
            ("[ab].c", "b.c", false, true),
            ("[ab].c", "c.c", false, false),
            ("[a-c].c", "b.c", false, true),
            ("[!a-c].c", "b.c", false, false),
            ("[!a-c].c", "d.c", false, true),
            ("[abc", "[abc", false, true),
            ("\\*", "*", false, true),
            ("\\*", "a", false, false),
            ("a*b*c", "aXXbYYc", false, true),
            ("a*b*c", "aXXbYY", false, false),
            ("build/", "build", true, true),
            ("build/", "build", false, false),
            ("build/", "x/build", true, true),
            ("/top", "top", false, true),
            ("/top", "x/top", false, false),
            ("docs/*.md", "docs/a.md", false, true),
            ("docs/*.md", "docs/x/a.md", false, false),
            ("docs/*.md", "x/docs/a.md", false, false),
            ("**/gen", "gen", true, true),
            ("**/gen", "a/b/gen", true, true),
            ("**/gen/x", "a/gen/x", false, true),
            ("out/**", "out", true, false),
            ("out/**", "out/a", false, true),
            ("out/**", "out/a/b", false, true),
            ("a/**/b", "a/b", false, true),
            ("a/**/b", "a/x/y/b", false, true),
            ("a/**/b", "a/x/c", false, false),
            ("**", "anything/at/all", false, true),
            ("a***b", "aXb", false, true),
            ("*.log\n!keep.log", "keep.log", false, false),
            ("*.log\n!keep.log", "other.log", false, true),
            ("!keep.log\n*.log", "keep.log", false, true),
            ("*.log\n!keep.log\nkeep.log", "keep.log", false, true),
            ("trailing  ", "trailing", false, true),
            ("trailing\\ ", "trailing ", false, true),
            ("crlf\r\nnext", "crlf", false, true),
            ("/", "a", false, false),
            ("!", "a", false, false),
        ]
        for (patterns, path, isFolder, ignored) in table {
            #expect(Gitignore(text: patterns).isIgnored(path, isFolder: isFolder) == ignored,
                    "\(patterns.debugDescription) on \(path) (\(isFolder ? "folder" : "file"))")
        }
    }
}
