import NIOCore

/// TLS for every link of a hub (`PeerHub.Configuration.security`).
///
/// The host (`listen`) accepts only TLS 1.3 peers that prove they hold one of
/// `invitations`' secrets; a joiner (`connect(…, invitation:)`) pins the host's
/// certificate by the invitation's fingerprint. See docs/WIRE.md, "Security".
public struct PeerSecurity: Sendable {
    /// This installation's key and certificate (`PeerIdentity.loadOrCreate()`).
    public var identity: PeerIdentity
    /// The invitations this host accepts (host side).
    public var invitations: InvitationBook
    /// Host side: each newcomer whose key was not let in before during this
    /// run waits for the user's answer (`PeerEvent.approvalRequested`,
    /// `PeerHub.answer`). Nothing of the document is sent before.
    public var requireApproval = false
    /// How long a newcomer waits for that answer before it is refused.
    public var approvalTimeout: TimeAmount = .seconds(120)

    public init(identity: PeerIdentity, invitations: InvitationBook = InvitationBook(), requireApproval: Bool = false) {
        self.identity = identity
        self.invitations = invitations
        self.requireApproval = requireApproval
    }
}
