import Foundation
import Testing
import WeaveCore
import PeerTestSupport
import WeavePeer
import WeaveTestSupport

/// `weave host` and `weave join --invite` as real processes: every link is TLS;
/// the invited joiner gets the document; one without the invitation is refused
/// with the reason and gets nothing; `--approve` asks the host's user, and
/// `weave revoke` from another shell closes a live link.
struct SecureJoinTests {
    @Test(.enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed")) func invitedJoinerSyncsAndStrangerIsRefused() throws {
        let weave = try Tmux.weaveBinary()
        let dir = NSTemporaryDirectory() + "weave-secure-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "shared secret text\n".write(toFile: dir + "/doc.txt", atomically: true, encoding: .utf8)
        let port = TestPorts.free()
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir)/host-id \(weave) host \(dir)/doc.txt --port \(port) --name alice",
                            width: 200, height: 20)
        defer { host.kill() }
        let screen = try host.waitFor("--invite wv1-")
        let token = screen.replacingOccurrences(of: "\n", with: "")
            .components(separatedBy: "--invite ").last?.split(separator: " ").first.map(String.init) ?? ""
        #expect(token.hasPrefix("wv1-"))
        let joiner = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir)/bob-id \(weave) join 127.0.0.1:\(port) --invite \(token) --name bob",
                              width: 100, height: 20)
        defer { joiner.kill() }
        try joiner.waitFor("shared secret text", seconds: 15)
        // No invitation: weave join says what it needs, non-zero exit.
        let stranger = try Tmux.run(["env", "WEAVE_CONFIG_DIR=\(dir)/eve-id", weave, "join", "127.0.0.1:\(port)", "--name", "eve", "--timeout", "5"])
        #expect(stranger.status != 0)
        #expect(stranger.output.contains("needs the invitation from the host's join command"))
        #expect(!stranger.output.contains("shared secret text"))
        // A forged invitation (the right host, a guessed secret): refused by the host with its reason.
        var forged = try #require(Invitation(token: token))
        forged.secret = Array(repeating: 7, count: Invitation.secretBytes)
        let eve = try Tmux.run(["env", "WEAVE_CONFIG_DIR=\(dir)/eve-id", weave, "join", "127.0.0.1:\(port)", "--invite", forged.token,
                                "--name", "eve", "--timeout", "5"])
        #expect(eve.status != 0)
        #expect(eve.output.contains("wrong secret"), "\(eve.output)")
        #expect(!eve.output.contains("shared secret text"))
        // A plaintext peer (an older Weave, or anything else) is refused too: the
        // library's plaintext client stands in for it.
        let plain = PeerHub(document: RGA(replica: .random()), configuration: .init(name: "plain"))
        let inbox = try PeerInbox()
        _ = inbox
        plain.connect(host: "127.0.0.1", port: port)
        let refused = try eventually(10) { try plain.currentStats().peers.first?.state == .stopped }
        #expect(refused, "a plaintext link is stopped by the host's refusal")
        #expect(try plain.snapshot().count == 0)
        _ = try plain.shutdown()
        // The identity is kept private.
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/host-id/identity-key.pem")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }


    /// `--approve`: the host is asked on screen; n refuses (the joiner exits
    /// with the reason), y lets in; the same key is not asked again on rejoin;
    /// `weave revoke` closes the live link and refuses the invitation from then
    /// on; the next `weave host` prints a new join command.
    @Test(.enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed")) func hostApprovesNewcomersAndRevokesInvitations() throws {
        let weave = try Tmux.weaveBinary()
        let dir = NSTemporaryDirectory() + "weave-approve-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let doc = dir + "/doc.txt"
        try "only for the invited\n".write(toFile: doc, atomically: true, encoding: .utf8)
        let hostConfig = dir + "/alice-config"
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(hostConfig) \(weave) host \(doc) --port 0 --approve --name alice",
                            width: 160, height: 20)
        defer { host.kill() }
        try host.waitFor("join with: weave join")
        let args = try Tmux.joinArguments(weave: weave, file: doc, config: hostConfig)
        // Mallory holds the invitation, but the host's user says no.
        let mallory = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir)/mallory-config \(weave) join \(args) --name mallory", width: 120, height: 10)
        defer { mallory.kill() }
        try mallory.waitFor("waiting for the host to let you in")
        try host.waitFor("mallory (127.0.0.1:")
        try host.waitFor("wants to join. Let in? y/n")
        host.sendText("n")
        let refused = try mallory.waitFor("WEAVE-EXIT=1")
        #expect(refused.contains("the host did not let you in"))
        #expect(!refused.contains("only for the invited"))
        try host.waitFor("Refused mallory")
        #expect(!host.capture().contains("onlyn"), "the answer is not typed into the document")
        // Bob: asked, let in, edits.
        let bob = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir)/bob-config \(weave) join \(args) --name bob", width: 120, height: 10)
        defer { bob.kill() }
        try host.waitFor("bob (127.0.0.1:")
        host.sendText("y")
        try bob.waitFor("only for the invited")
        try host.waitFor("bob online")  // the status line (the "bob joined" message can be replaced)
        bob.sendText("bob: ")
        try host.waitFor("bob: only for the invited")
        // Revoked from another shell: the live link closes within a second or so.
        let list = try Tmux.run(["env", "WEAVE_CONFIG_DIR=\(hostConfig)", weave, "invitations", doc])
        #expect(list.status == 0)
        let id = try #require(list.output.split(separator: "\n").dropFirst().first?.split(separator: " ").first.map(String.init))
        #expect(list.output.contains("standing") && list.output.contains("active"))
        let revoke = try Tmux.run(["env", "WEAVE_CONFIG_DIR=\(hostConfig)", weave, "revoke", doc, String(id.prefix(6))])
        #expect(revoke.status == 0, "\(revoke.output)")
        try bob.waitFor("the invitation was revoked", seconds: 10)
        try host.waitFor("online, no peers")
        // Joining again with it is refused, with the reason.
        let again = try Tmux.run(["env", "WEAVE_CONFIG_DIR=\(dir)/bob-config", weave, "join"] + args.split(separator: " ").map(String.init)
                                 + ["--name", "bob", "--timeout", "5"])
        #expect(again.status != 0)
        #expect(again.output.contains("the invitation was revoked"), "\(again.output)")
        #expect(try Tmux.run(["env", "WEAVE_CONFIG_DIR=\(hostConfig)", weave, "invitations", doc]).output.contains("revoked"))
        // A new standing invitation replaces the revoked one.
        let fresh = try Tmux.joinArguments(weave: weave, file: doc, config: hostConfig)
        #expect(fresh != args)
        // Unknown IDs are refused with a reason and a non-zero exit.
        let bad = try Tmux.run(["env", "WEAVE_CONFIG_DIR=\(hostConfig)", weave, "revoke", doc, "ffffffff"])
        #expect(bad.status != 0)
        #expect(bad.output.contains("no invitation ffffffff"))
        host.sendKeys("C-s")
        try waitForFile(doc, toHold: "bob: only for the invited\n")
        host.sendKeys("C-q")
        try host.waitFor("WEAVE-EXIT=0")
    }
}
