import Foundation
import Testing
import WeaveTestSupport

/// `weave host --secure` and `weave join --invite` as two real processes: the
/// invited joiner gets the document over TLS; one without the invitation is
/// refused with the reason, and gets nothing.
struct SecureJoinTests {
    @Test func invitedJoinerSyncsAndStrangerIsRefused() throws {
        guard Tmux.available else { print("skipping: tmux is not installed"); return }
        let weave = try Tmux.weaveBinary()
        let dir = NSTemporaryDirectory() + "weave-secure-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "shared secret text\n".write(toFile: dir + "/doc.txt", atomically: true, encoding: .utf8)
        let port = Int.random(in: 20000 ... 40000)
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir)/host-id \(weave) host \(dir)/doc.txt --port \(port) --secure --name alice",
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
        // No invitation: refused with its reason, non-zero exit.
        let stranger = try Tmux.run(["env", "WEAVE_CONFIG_DIR=\(dir)/eve-id", weave, "join", "127.0.0.1:\(port)", "--name", "eve", "--timeout", "5"])
        #expect(stranger.status != 0)
        #expect(stranger.output.contains("only accepts invited peers"))
        #expect(!stranger.output.contains("shared secret text"))
        // The identity is kept private.
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/host-id/identity-key.pem")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }
}
