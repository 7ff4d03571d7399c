import Logging
import NIOCore
import WeaveCore

/// Invitation enforcement on a TLS hub: the TLS contexts, made once, and the
/// periodic sweep that closes links whose invitation was revoked.
extension PeerHub {
    /// Closes every link whose invitation was revoked (perhaps by `weave revoke`
    /// in another process) or is no longer in the book. An invitation that
    /// expires admits no one from then on, but does not cut the links already
    /// in (they end at their next drop). On the loop.
    func enforceInvitations() {
        guard let book = configuration.security?.invitations else { return }
        if let e = book.refresh() { logger.error("invitations not re-read", metadata: ["error": "\(e)"]) }
        for c in connections.values where c.state == .open {
            guard let id = c.invitationID, case .failure(let why) = book.lookup(id: id), why != .invitationExpired else { continue }
            logger.warning("closing a revoked link", metadata: meta(c, ["reason": "\(why)"]))
            c.refuse(Refusal(code: .unauthorized, text: why.description), error: .unauthorized(why))
        }
    }

    /// The TLS contexts, made once (on the loop).
    @discardableResult
    func tls() throws -> PeerSecurity.Contexts {
        if let tlsContexts { return tlsContexts }
        let identity = try configuration.security?.identity ?? PeerIdentity.generate()
        let contexts = try PeerSecurity.Contexts(identity)
        tlsIdentity = identity
        tlsContexts = contexts
        return contexts
    }
}
