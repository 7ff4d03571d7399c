import WeavePeer

/// Where a joining command dials and with what invitation: HOST:PORT and
/// `--invite`, checked the same way for `weave join`, `weave connect` and
/// `weave status` (one message per problem, said before anything starts).
struct PeerTarget {
    let host: String
    let port: Int
    let invitation: Invitation

    /// Parses `address` (HOST:PORT, [IPv6]:PORT) and the `--invite` token;
    /// a host name that does not resolve is said now, not after a timeout.
    /// Throws `ValidationFailure` naming what is wrong.
    init(address: String, invite: String) throws {
        guard let (host, port) = Join.parse(address) else {
            throw ValidationFailure("expected HOST:PORT, such as 127.0.0.1:7070 (got \(address))")
        }
        if let problem = NumericOption.unresolvable(host) { throw ValidationFailure(problem) }
        guard let invitation = Invitation(token: invite) else {
            throw ValidationFailure("--invite: not an invitation (expected the wv1-… token in the host's join command)")
        }
        (self.host, self.port, self.invitation) = (host, port, invitation)
    }
}
