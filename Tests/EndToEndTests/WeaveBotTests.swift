import Foundation
import Testing
import WeaveCore
import PeerTestSupport
import WeavePeer

/// Runs Examples/WeaveBot for real: a hub listens on loopback, the bot joins it
/// and types a file; the hub's document must end up holding that text.
struct WeaveBotTests {
    static func binary(_ name: String) -> String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for _ in 0 ..< 4 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    @Test func theBotTypesAFileIntoASharedDocument() throws {
        guard let bot = Self.binary("weave-bot") else {
            Issue.record("weave-bot was not built beside the tests (swift build builds it)")
            return
        }
        var start = RGA(replica: ReplicaID(1))
        start.insert("host text\n", at: 0)
        // A TLS host, as every weave host is: the bot joins with an invitation.
        let identity = try PeerIdentity.generate()
        let invitation = Invitation.make(for: identity)
        var config = PeerHub.Configuration(name: "host", colour: 1)
        config.security = PeerSecurity(identity: identity, invitations: InvitationBook([invitation]))
        let hub = PeerHub(document: start, configuration: config)
        let address = try hub.listen(host: "127.0.0.1", port: 0)
        defer { _ = try? hub.shutdown() }
        let file = NSTemporaryDirectory() + "weave-bot-\(UInt32.random(in: 0 ... .max)).txt"
        let typed = "typed by a bot: é 日本 🙂\n"
        _ = FileManager.default.createFile(atPath: file, contents: Data(typed.utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bot)
        process.arguments = ["127.0.0.1:\(address.port!)", file, "--invite", invitation.token, "--cps", "400", "--name", "test-bot"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate(); Issue.record("the bot did not finish within 20 s") }
        #expect(process.terminationStatus == 0)
        // The bot exits only once the hub acknowledged every edit: the hub holds them all already.
        let expected = "host text\n" + typed
        #expect(try hub.snapshot().text == expected, "the hub holds: \(String(describing: try? hub.snapshot().text))")
    }

    /// A host that never acknowledges the bot's edits (a read-only invitation:
    /// they are declined): the bot says how many were not acknowledged and exits non-zero.
    @Test func theBotFailsWhenItsEditsAreNotAcknowledged() throws {
        guard let bot = Self.binary("weave-bot") else { Issue.record("weave-bot was not built"); return }
        let identity = try PeerIdentity.generate()
        let invitation = Invitation.make(for: identity, readOnly: true)
        var config = PeerHub.Configuration(name: "host", colour: 1)
        config.security = PeerSecurity(identity: identity, invitations: InvitationBook([invitation]))
        let hub = PeerHub(document: RGA(replica: ReplicaID(1)), configuration: config)
        let address = try hub.listen(host: "127.0.0.1", port: 0)
        defer { _ = try? hub.shutdown() }
        let file = NSTemporaryDirectory() + "weave-bot-ro-\(UInt32.random(in: 0 ... .max)).txt"
        _ = FileManager.default.createFile(atPath: file, contents: Data("abc".utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bot)
        process.arguments = ["127.0.0.1:\(address.port!)", file, "--invite", invitation.token, "--cps", "400"]
        process.environment = ProcessInfo.processInfo.environment.merging(["WEAVE_BOT_PATIENCE": "1"]) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate(); Issue.record("the bot did not give up within 20 s") }
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 1)
        #expect(stderr.contains("3 of 3 edits not acknowledged by a peer within 1 s"), "\(stderr)")
        #expect(try hub.snapshot().text == "")
    }

    /// Runs the bot with `arguments` to its end: exit status and standard error.
    static func runBot(_ arguments: [String]) throws -> (status: Int32, stderr: String)? {
        guard let bot = binary("weave-bot") else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bot)
        process.arguments = arguments
        let err = Pipe()
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test func theBotExplainsABadAddress() throws {
        guard let r = try Self.runBot(["nowhere", "/dev/null"]) else { Issue.record("weave-bot was not built beside the tests (swift build builds it)"); return }
        #expect(r.status == 1)
        #expect(r.stderr.contains("expected HOST:PORT"))
    }

    @Test func theBotNeedsAnInvitation() throws {
        guard let r = try Self.runBot(["127.0.0.1:7070", "/dev/null"]) else { Issue.record("weave-bot was not built beside the tests (swift build builds it)"); return }
        #expect(r.status == 1)
        #expect(r.stderr.contains("--invite TOKEN is required"))
    }
}
