#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import WeaveCore
import WeavePeer
import WeaveTestSupport
@testable import WeaveSession

/// `weave join`'s first dial, over real loopback sockets: a closed port is
/// final at once ("nothing is listening on HOST:PORT"), and a listener that
/// is not a Weave host is named as such, without TLS internals. "At once" is
/// the behaviour, not a time: the join gives up after its first dial, long
/// before its deadline (which would end in "no answer" after several dials).
@Suite(.serialized) struct JoinFailureTests {
    static let identity = try! PeerIdentity.generate(name: "joiner")
    static let invitation = Invitation.make(for: try! PeerIdentity.generate(name: "somebody"))

    /// Dials `port` as weave join does and waits (at most `seconds`) for the
    /// document; returns the error and how many dials were made.
    func join(_ port: Int, seconds: Double = 30) -> (JoinError?, dials: Int) {
        let inbox = try! PeerInbox()
        var config = PeerHub.Configuration(name: "bob", colour: 1)
        config.security = PeerSecurity(identity: Self.identity)
        let hub = PeerHub(document: RGA(replica: .random()), configuration: config, onEvent: inbox.post)
        defer { _ = try? hub.shutdown() }
        hub.connect(host: "127.0.0.1", port: port, invitation: Self.invitation)
        var shared = RGA(replica: hub.replica)
        var early: [PeerEvent] = []
        var failure: JoinError?
        do {
            try JoinMerge.receiveDocument(inbox: inbox, into: &shared, early: &early, seconds: seconds)
        } catch {
            failure = error
        }
        let dials = early.filter { if case .connecting = $0 { return true } else { return false } }.count
        return (failure, dials)
    }

    @Test func aClosedPortIsFinalAtOnce() {
        let port = TestPorts.free()
        let (error, dials) = join(port)
        #expect(error == .nothingListening(address: "127.0.0.1:\(port)"))
        #expect(error?.description == "could not join: nothing is listening on 127.0.0.1:\(port)")
        #expect(dials == 1, "gave up after \(dials) dials")
    }

    /// An HTTP server (it reads the ClientHello first), a mail server's
    /// banner, bytes that mean nothing.
    static func reply(_ kind: String) -> (bytes: [UInt8], readFirst: Bool) {
        switch kind {
        case "http": return (Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8), true)
        case "banner": return (Array("220 smtp.example ESMTP ready\r\n".utf8), false)
        default: return ((0 ..< 300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }, false)
        }
    }

    @Test(arguments: ["http", "banner", "garbage"])
    func aListenerThatIsNotWeaveIsNamedAsSuch(kind: String) throws {
        let (reply, readFirst) = Self.reply(kind)
        let impostor = try Impostor(reply: reply, readFirst: readFirst)
        defer { impostor.stop() }
        let (error, dials) = join(impostor.port)
        #expect(error == .notWeaveHost(address: "127.0.0.1:\(impostor.port)"), "\(kind): \(String(describing: error))")
        let text = error?.description ?? ""
        #expect(text == "could not join: 127.0.0.1:\(impostor.port) is not a Weave host", "\(kind)")
        #expect(!text.contains("/") && !text.contains("SSL") && !text.contains("errno"), "\(kind): no internals: \(text)")
        #expect(dials == 1, "\(kind): gave up after \(dials) dials")
    }
}
