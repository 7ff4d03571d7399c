import Testing
@testable import WeavePeer

/// What a link's failure says on the status line and in logs: a refusal says
/// it was not authorized; a TLS handshake the network cut says only that (it
/// is retried, and "not authorized" would send the user after their invitation).
@Suite struct PeerErrorTextTests {
    @Test func aCutTLSHandshakeIsNotCalledARefusal() {
        let cut = PeerError.unauthorized(.tls("the connection was cut during the TLS handshake"))
        #expect(cut.description == "TLS handshake failed: the connection was cut during the TLS handshake")
        #expect(!cut.isPermanent)
    }

    @Test func realRefusalsStillSayNotAuthorized() {
        #expect(PeerError.unauthorized(.invitationRevoked).description == "not authorized: the invitation was revoked")
        #expect(PeerError.unauthorized(.wrongSecret).description.hasPrefix("not authorized: wrong secret"))
        #expect(PeerError.unauthorized(.invitationRevoked).isPermanent)
    }
}
