import Foundation
import Testing
import WeaveCore
import WeavePeer
import WeaveTestSupport
@testable import WeaveSession

/// `SessionStart` is the one start-up path of `weave host` and `weave join`
/// (file and folder) and `Relay` that of `weave serve`: these tests start
/// them as the command line does, over TLS on loopback with the invitation the
/// host prints, and check that what runs is wired (edits cross both ways, the
/// folder arrives) and that failures are sentences.
@Suite struct SessionStartTests {
    /// Where a test's identities live (one per side, as on two machines).
    static func options(_ dir: TempDir, name: String) -> HostOptions {
        var o = HostOptions(name: name)
        (o.port, o.configDirectory) = (0, dir.path + "/cfg-" + name)
        return o
    }

    static func joinOptions(_ host: LiveSession, _ dir: TempDir, name: String) throws -> JoinOptions {
        let invitation = try #require(host.link.joinInvitation)
        let command = try #require(host.joinCommand)
        // The port the join command names: "weave join 127.0.0.1:PORT --invite …".
        let address = try #require(command.split(separator: " ").dropFirst(2).first)
        let port = try #require(Int(address.split(separator: ":").last ?? ""))
        var o = JoinOptions(host: "127.0.0.1", port: port, invitation: invitation, name: name)
        (o.timeout, o.configDirectory) = (10, dir.path + "/cfg-" + name)
        return o
    }

    @Test func aFileHostedAndJoinedThroughTheStartUpPathSyncsBothWays() throws {
        let dir = try TempDir()
        try "one\n".write(toFile: dir.path + "/doc.txt", atomically: false, encoding: .utf8)
        let host = try SessionStart.host(dir.path + "/doc.txt", Self.options(dir, name: "alice"))
        defer { _ = try? host.hub.shutdown() }
        #expect(host.banner.count == 2 && host.banner[1] == "join with: \(host.joinCommand ?? "-")")
        #expect(host.joinCommand?.hasPrefix("weave join 127.0.0.1:") == true)
        var said: [String] = []
        let joiner = try SessionStart.join(into: dir.path + "/mine.txt", try Self.joinOptions(host, dir, name: "bob"),
                                           progress: { said.append($0) })
        defer { _ = try? joiner.hub.shutdown() }
        #expect(said.first?.hasPrefix("joining 127.0.0.1:") == true)
        #expect(joiner.session.editor.text == "one\n")
        host.session.press(.char("A"))
        joiner.session.press(.end)
        joiner.session.press(.char("B"))
        let links = [host.link, joiner.link]
        #expect(pumpLinks(links) { host.session.editor.text == joiner.session.editor.text && host.session.editor.text.count == 6 },
                "host \(host.session.editor.text.debugDescription), joiner \(joiner.session.editor.text.debugDescription)")
        #expect(FileManager.default.fileExists(atPath: dir.path + "/.mine.txt.weave"))
    }

    @Test func aFolderHostedAndJoinedThroughTheStartUpPathArrivesWhole() throws {
        let dir = try TempDir()
        let root = dir.path + "/proj"
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        let files = ["a.txt": "alpha\n", "b.md": "# b\n", "sub/c.txt": "gamma\n"]
        for (p, t) in files { try t.write(toFile: root + "/" + p, atomically: false, encoding: .utf8) }
        var options = Self.options(dir, name: "alice")
        options.verbose = true
        let host = try SessionStart.host(root + "/", options)
        defer { _ = try? host.hub.shutdown() }
        #expect(host.folder?.state.files.count == 3)
        #expect(host.joinCommand?.hasSuffix(" proj/") == true)
        let joiner = try SessionStart.join(into: dir.path + "/mirror/", try Self.joinOptions(host, dir, name: "bob"))
        defer { _ = try? joiner.hub.shutdown() }
        let links = [host.link, joiner.link]
        let arrived = pumpLinks(links) {
            files.allSatisfy { (try? String(contentsOfFile: dir.path + "/mirror/" + $0.key, encoding: .utf8)) == $0.value }
        }
        #expect(arrived, "the mirror holds \((try? FileManager.default.subpathsOfDirectory(atPath: dir.path + "/mirror")) ?? [])")
    }

    @Test func startUpFailuresAreSentences() throws {
        let dir = try TempDir()
        // --open names a file in a folder, and a file is not one.
        try "x".write(toFile: dir.path + "/f.txt", atomically: false, encoding: .utf8)
        var options = Self.options(dir, name: "alice")
        options.open = "a.txt"
        #expect(throws: StartFailure("--open is for a shared folder, and \(dir.path)/f.txt is not a folder")) {
            try SessionStart.host(dir.path + "/f.txt", options)
        }
        // A log that cannot be opened is said before anything is shared.
        options = Self.options(dir, name: "alice")
        options.log = dir.path + "/no/such/dir/log"
        let error = #expect(throws: StartFailure.self) { try SessionStart.host(dir.path + "/f.txt", options) }
        #expect(error?.description.hasPrefix("cannot open the log \(dir.path)/no/such/dir/log") == true)
        // Nothing listening: said at once, with the address.
        let closed = TestPorts.free()
        var join = JoinOptions(host: "127.0.0.1", port: closed, invitation: Invitation.make(for: try PeerIdentity.generate(name: "x")),
                               name: "bob")
        join.configDirectory = dir.path + "/cfg-bob"
        #expect(throws: StartFailure("could not join: nothing is listening on 127.0.0.1:\(closed)")) {
            try SessionStart.join(into: nil, join)
        }
    }
}
