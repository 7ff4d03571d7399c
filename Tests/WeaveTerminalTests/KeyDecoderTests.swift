import Foundation
import Testing
import WeaveEditor
import CNcurses
@testable import WeaveTerminal

@Suite struct DocumentFileTests {
    @Test func missingFileIsNew() throws {
        let dir = try TempDir()
        #expect(try DocumentFile.load(dir.path + "/nope.txt") == nil)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/nope.txt"))
    }

    @Test func saveAndLoadRoundTrip() throws {
        let dir = try TempDir()
        let path = dir.path + "/a.txt"
        try DocumentFile.save("héllo\n日本 😀\n", to: path)
        #expect(try DocumentFile.load(path) == "héllo\n日本 😀\n")
        try DocumentFile.save("short", to: path)
        #expect(try DocumentFile.load(path) == "short")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(leftovers == ["a.txt"], "no temporary file left behind")
    }

    @Test func saveKeepsPermissions() throws {
        let dir = try TempDir()
        let path = dir.path + "/script.sh"
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o751)
        try DocumentFile.save("new", to: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o751)
    }

    @Test func failedSaveLeavesOldFileAndSaysWhy() throws {
        let dir = try TempDir()
        let target = dir.path + "/taken"
        try FileManager.default.createDirectory(atPath: target + "/inside", withIntermediateDirectories: true)
        #expect {
            try DocumentFile.save("text", to: target)
        } throws: { error in
            (error as? DocumentFile.Failure)?.description.contains("rename failed") == true
        }
        #expect(FileManager.default.fileExists(atPath: target + "/inside"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["taken"])
        #expect(throws: DocumentFile.Failure.self) { try DocumentFile.save("x", to: dir.path + "/no/such/dir/f") }
    }

    @Test func binaryAndInvalidUTF8Refused() {
        #expect(throws: DocumentFile.Failure.notText(path: "f", reason: "NUL byte at offset 2")) {
            try DocumentFile.decode([0x61, 0x62, 0, 0x63], path: "f")
        }
        #expect(throws: DocumentFile.Failure.notText(path: "f", reason: "invalid UTF-8 near byte 1")) {
            try DocumentFile.decode([0x61, 0xC3, 0x28], path: "f")
        }
        #expect(DocumentFile.Failure.notText(path: "f", reason: "r").description
                == "f: not a UTF-8 text file (r); refusing to edit it")
        #expect((try? DocumentFile.decode(Array("ok é".utf8), path: "f")) == "ok é")
    }
}

@Suite struct KeyDecoderTests {
    func decode(_ feed: (inout KeyDecoder, inout [Key]) -> Void) -> [Key] {
        var d = KeyDecoder()
        var keys: [Key] = []
        feed(&d, &keys)
        return keys
    }

    @Test func controlCharacters() {
        let keys = decode { d, k in
            for v: UInt32 in [13, 10, 9, 127, 8, 27, 17, 19, 0x65, 0x65E5] { d.feedChar(v, into: &k) }
        }
        #expect(keys == [.enter, .enter, .tab, .backspace, .backspace, .escape, .ctrl("q"), .ctrl("s"),
                         .char("e"), .char("日")])
    }

    @Test func functionKeysAndOurCodes() {
        let keys = decode { d, k in
            d.feedCode(KEY_UP, into: &k)
            d.feedCode(KEY_F0 + 1, into: &k)
            d.feedCode(KEY_NPAGE, into: &k)
            d.feedCode(KeyDecoder.Code.ctrlLeft.rawValue, into: &k)
            d.feedCode(KeyDecoder.Code.ctrlEnd.rawValue, into: &k)
        }
        #expect(keys == [.up, .function(1), .pageDown, .ctrlLeft, .ctrlEnd])
    }

    @Test func bracketedPasteIsOneKeyEvenAcrossReads() {
        var d = KeyDecoder()
        var first: [Key] = []
        d.feedCode(KeyDecoder.Code.pasteStart.rawValue, into: &first)
        for u in "a\u{11}b\r".unicodeScalars { d.feedChar(u.value, into: &first) }
        #expect(first.isEmpty)
        var second: [Key] = []
        d.feedChar(0x65E5, into: &second)
        d.feedCode(KeyDecoder.Code.pasteEnd.rawValue, into: &second)
        d.feedChar(0x78, into: &second)
        #expect(second == [.paste("a\u{11}b\r日"), .char("x")])
    }
}
