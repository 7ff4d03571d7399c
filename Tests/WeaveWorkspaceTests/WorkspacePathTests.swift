import Testing
import WeaveCore
import WeaveWorkspace

@Suite struct WorkspacePathTests {
    @Test(arguments: ["a", "notes.txt", "src/main.swift", "docs/read me.md", "a b/c d", "日本語/ファイル.txt",
                      "x..y", "a/b./c", " leading space", "Makefile"])
    func validPathsComeBackUnchanged(path: String) throws {
        #expect(try WorkspacePath.validate(path) == path)
        #expect(WorkspacePath.isValid(path))
    }

    /// Each rule, with the error and the message a user reads.
    @Test func invalidPathsSayWhy() {
        let long = String(repeating: "a/", count: 2048) + "b"
        let cases: [(String, WorkspaceError, String)] = [
            ("", .emptyPath, "a shared path cannot be empty"),
            ("/etc/passwd", .absolutePath("/etc/passwd"),
             "/etc/passwd: a shared path is relative to the shared folder and cannot start with '/'"),
            ("a//b", .emptyName("a//b"), "a//b: a shared path cannot have an empty name ('//', or a '/' at the end)"),
            ("a/", .emptyName("a/"), "a/: a shared path cannot have an empty name ('//', or a '/' at the end)"),
            ("./x", .currentFolderName("./x"), "./x: a shared path cannot contain '.'"),
            ("sub/../x", .parentFolderName("sub/../x"), "sub/../x: a shared path cannot contain '..'"),
            ("..", .parentFolderName(".."), "..: a shared path cannot contain '..'"),
            ("src/.env", .hiddenName("src/.env", name: ".env"),
             "src/.env: '.env' starts with '.', and hidden names are not shared"),
            (".git/config", .hiddenName(".git/config", name: ".git"),
             ".git/config: '.git' starts with '.', and hidden names are not shared"),
            ("a\nb", .forbiddenCharacter("a\nb", "\n"), "a\\nb: a shared path cannot contain a line break"),
            ("a\r\nb", .forbiddenCharacter("a\r\nb", "\r"), "a\\r\\nb: a shared path cannot contain a carriage return"),
            ("a\0b", .forbiddenCharacter("a\0b", "\0"), "a\\0b: a shared path cannot contain a NUL character"),
            (long, .tooLong(long, bytes: 4097),
             String(repeating: "a/", count: 30) + "…: a shared path is at most 4096 bytes long, this one has 4097"),
        ]
        for (path, error, message) in cases {
            #expect(throws: error, "\(path.debugDescription)") { try WorkspacePath.validate(path) }
            #expect(error.description == message)
            #expect(!WorkspacePath.isValid(path))
        }
    }

    /// Rules are about bytes, as on disk: a combining mark after "." or "/"
    /// (one Character with it) does not hide the "." or the "/".
    @Test func rulesReadBytesNotCharacters() {
        #expect(throws: WorkspaceError.hiddenName(".\u{301}x", name: ".\u{301}x")) { try WorkspacePath.validate(".\u{301}x") }
        #expect(WorkspacePath.names("a/\u{301}b") == ["a", "\u{301}b"])
        #expect(WorkspacePath.isValid("a/\u{301}b"))
        #expect(throws: WorkspaceError.forbiddenCharacter("a\r\n", "\r")) { try WorkspacePath.validate("a\r\n") }
        let names = Array(repeating: String(repeating: "é", count: 127), count: 16) + [String(repeating: "a", count: 16)]
        let full = names.joined(separator: "/")
        #expect(full.utf8.count == 4096)
        #expect(WorkspacePath.isValid(full))
        #expect(!WorkspacePath.isValid(full + "x"))
    }

    /// Issue 29 (and issue 28 defect 9): a name of 300 bytes, control
    /// characters (ESC, BEL, DEL, C1) and names not in NFC are refused, each
    /// saying why, and never rewritten.
    @Test func namesTooLongControlCharactersAndOtherNormalFormsAreRefused() throws {
        let long = String(repeating: "n", count: 300) + ".txt"
        #expect(throws: WorkspaceError.nameTooLong("d/" + long, name: long, bytes: 304)) { try WorkspacePath.validate("d/" + long) }
        #expect(WorkspacePath.isValid(String(repeating: "n", count: 255)))
        #expect(!WorkspacePath.isValid(String(repeating: "n", count: 256)))
        #expect(WorkspacePath.isValid(String(repeating: "é", count: 127)))  // 254 bytes
        #expect(!WorkspacePath.isValid(String(repeating: "é", count: 128)))  // 256 bytes
        for scalar in [0x01, 0x07, 0x09, 0x1B, 0x1F, 0x7F, 0x80, 0x85, 0x9B, 0x9F] as [UInt32] {
            let s = Unicode.Scalar(scalar)!
            let path = "evil\(Character(s))name.txt"
            #expect(throws: WorkspaceError.forbiddenCharacter(path, s)) { try WorkspacePath.validate(path) }
            let message = WorkspaceError.forbiddenCharacter(path, s).description
            #expect(!message.unicodeScalars.contains(where: WorkspacePath.isControl), "\(message.debugDescription)")
        }
        #expect(WorkspacePath.isValid("a\u{A0}b"))  // no-break space is not a control character
        let decomposed = "cafe\u{301}.txt"
        #expect(throws: WorkspaceError.notNormalized(decomposed)) { try WorkspacePath.validate(decomposed) }
        #expect(try WorkspacePath.validate("caf\u{E9}.txt") == "caf\u{E9}.txt")
        #expect(WorkspacePath.isValid("한국어.txt"))
        #expect(!WorkspacePath.isValid("\u{1100}\u{1161}.txt"))  // Hangul jamo compose in NFC
    }

    @Test func conflictNames() {
        let cases: [(String, Int, String)] = [
            ("notes.txt", 2, "notes (2).txt"),
            ("Makefile", 2, "Makefile (2)"),
            ("a/b.tar.gz", 3, "a/b.tar (3).gz"),
            ("src.d/Makefile", 2, "src.d/Makefile (2)"),
            ("read me.md", 10, "read me (10).md"),
            ("x.", 2, "x (2)."),
        ]
        for (path, n, name) in cases {
            #expect(WorkspacePath.conflictName(path, n) == name)
            #expect(WorkspacePath.isValid(name))
        }
    }

    @Test func folders() {
        #expect(WorkspacePath.folders(of: "a/b/c.txt") == ["a", "a/b"])
        #expect(WorkspacePath.folders(of: "c.txt") == [])
    }

    /// Name by name: a folder's files sort together, before "a-c" and "a.txt".
    @Test func pathsSortNameByName() {
        let sorted = ["a", "a/b", "a/b/c", "a/z", "a-c", "a.txt", "b", "b c/d"]
        #expect(sorted.shuffled().sorted(by: WorkspacePath.precedes) == sorted)
        #expect(["a-c", "a/b"].sorted() == ["a-c", "a/b"])  // what a character order would give
    }
}
