import Crypto
import Foundation
import NIOConcurrencyHelpers
import WeaveStore

/// What a joiner needs to join a host: the host's certificate fingerprint (the
/// joiner pins it), an invitation ID and a random secret of 160 bits (the joiner
/// proves it holds it, bound to the TLS session), whether it may only watch,
/// and an optional expiry. Its text form (`token`) goes on the join command line.
public struct Invitation: Hashable, Sendable, CustomStringConvertible {
    public var hostFingerprint: [UInt8]
    /// Names the invitation on the host (sent in the clear inside TLS; not secret).
    public var id: [UInt8]
    public var secret: [UInt8]
    public var readOnly: Bool
    /// Seconds since 1970; nil: never expires.
    public var expires: UInt64?

    public static let secretBytes = 20
    public static let idBytes = 8
    static let tokenPrefix = "wv1-"

    public init(hostFingerprint: [UInt8], id: [UInt8], secret: [UInt8], readOnly: Bool = false, expires: UInt64? = nil) {
        self.hostFingerprint = hostFingerprint
        self.id = id
        self.secret = secret
        self.readOnly = readOnly
        self.expires = expires
    }

    /// A new invitation to the host whose identity is `host`, with a fresh random ID and secret.
    public static func make(for host: PeerIdentity, readOnly: Bool = false, validFor seconds: UInt64? = nil) -> Invitation {
        var rng = SystemRandomNumberGenerator()
        let id = (0..<idBytes).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let secret = (0..<secretBytes).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let expires = seconds.map { UInt64(Date().timeIntervalSince1970) + $0 }
        return Invitation(hostFingerprint: host.fingerprint, id: id, secret: secret, readOnly: readOnly, expires: expires)
    }

    /// `wv1-` + base64url(flags, fingerprint 32, id 8, secret 20, [expiry u64be]).
    public var token: String {
        var b: [UInt8] = [(readOnly ? 1 : 0) | (expires != nil ? 2 : 0)]
        b += hostFingerprint + id + secret
        if let e = expires { for i in (0..<8).reversed() { b.append(UInt8(truncatingIfNeeded: e >> (8 * UInt64(i)))) } }
        return Invitation.tokenPrefix + Data(b).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Parses `token`; nil when it is not an invitation.
    public init?(token: String) {
        guard token.hasPrefix(Invitation.tokenPrefix) else { return nil }
        var s = String(token.dropFirst(Invitation.tokenPrefix.count))
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        guard let data = Data(base64Encoded: s) else { return nil }
        let b = Array(data)
        guard let flags = b.first, flags & ~3 == 0 else { return nil }
        let base = 1 + 32 + Invitation.idBytes + Invitation.secretBytes
        let hasExpiry = flags & 2 != 0
        guard b.count == base + (hasExpiry ? 8 : 0) else { return nil }
        hostFingerprint = Array(b[1..<33])
        id = Array(b[33..<(33 + Invitation.idBytes)])
        secret = Array(b[(33 + Invitation.idBytes)..<base])
        readOnly = flags & 1 != 0
        expires = hasExpiry ? b[base...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } : nil
    }

    public var description: String {
        "invitation \(PeerIdentity.hex(id))\(readOnly ? " (read-only)" : "") to host \(PeerIdentity.hex(Array(hostFingerprint.prefix(8))))…"
    }
}

/// The invitations a host has issued, revoked or not. Thread-safe.
///
/// Backed by an `InvitationStore` (`init(store:for:)`), `refresh()` re-reads
/// the file when it changed (cheap otherwise: one stat), so an invitation
/// revoked from another process stops working at once; the hub then also closes
/// the links made with it.
public final class InvitationBook: Sendable {
    private struct Entry { var invitation: Invitation; var revoked: Bool }
    private struct State {
        var entries: [[UInt8]: Entry] = [:]
        var stamp: FileStamp?
    }
    private let state = NIOLockedValueBox(State())
    private let store: InvitationStore?
    /// Only invitations to this host key are loaded from the store.
    private let fingerprint: [UInt8]?

    public init(_ invitations: [Invitation] = []) {
        store = nil
        fingerprint = nil
        for i in invitations { add(i) }
    }

    /// The invitations kept in `store` that name `identity`'s certificate. Throws when the file is damaged.
    public init(store: InvitationStore, for identity: PeerIdentity) throws {
        self.store = store
        fingerprint = identity.fingerprint
        try reload()
    }

    /// Accepts joiners holding `invitation` from now on.
    public func add(_ invitation: Invitation) {
        state.withLockedValue { $0.entries[invitation.id] = Entry(invitation: invitation, revoked: false) }
    }

    /// Refuses `invitation` from now on (the hub closes the connections made with it).
    public func revoke(_ invitation: Invitation) { revoke(id: invitation.id) }

    public func revoke(id: [UInt8]) {
        state.withLockedValue { $0.entries[id]?.revoked = true }
    }

    /// The invitations file this book reads (nil: in memory only).
    public var storePath: String? { store?.path }

    public var invitations: [Invitation] { state.withLockedValue { $0.entries.values.filter { !$0.revoked }.map(\.invitation) } }

    /// Re-reads the store when its file changed since the last read. A damaged
    /// or unreadable file keeps what was loaded before (and is reported). No-op without a store.
    @discardableResult
    public func refresh() -> InvitationStoreError? {
        guard let store else { return nil }
        let stamp = store.modificationStamp()
        if state.withLockedValue({ $0.stamp == stamp }) { return nil }
        do { try reload() } catch let e as InvitationStoreError { return e } catch { return .io("\(error)") }
        return nil
    }

    private func reload() throws {
        guard let store else { return }
        let stamp = store.modificationStamp()
        let records = try store.load().records
        state.withLockedValue { s in
            s.stamp = stamp
            // Entries added in memory stay; the file's records replace their own.
            for r in records where fingerprint == nil || r.invitation.hostFingerprint == fingerprint! {
                s.entries[r.invitation.id] = Entry(invitation: r.invitation, revoked: r.revoked)
            }
        }
    }

    /// Why `invitation` would be refused now (revoked, expired, unknown), or
    /// nil when it admits. Reads the book as last refreshed.
    public func refusal(of invitation: Invitation) -> AuthFailure? {
        if case .failure(let why) = lookup(id: invitation.id) { return why }
        return nil
    }

    /// The invitation a joiner names, for admission: an ID not in the book
    /// makes it re-read the store first (when its file changed: one `stat`
    /// otherwise), so an invitation made a moment ago by `weave invite --new`
    /// in another process admits at once, not at the next periodic refresh.
    func admit(id: [UInt8], now: UInt64 = UInt64(Date().timeIntervalSince1970)) -> Result<Invitation, AuthFailure> {
        let found = lookup(id: id, now: now)
        guard case .failure(.unknownInvitation) = found, store != nil else { return found }
        refresh()
        return lookup(id: id, now: now)
    }

    /// The invitation named `id`, or why it cannot be used.
    func lookup(id: [UInt8], now: UInt64 = UInt64(Date().timeIntervalSince1970)) -> Result<Invitation, AuthFailure> {
        guard let e = state.withLockedValue({ $0.entries[id] }) else { return .failure(.unknownInvitation) }
        if e.revoked { return .failure(.invitationRevoked) }
        if let exp = e.invitation.expires, exp <= now { return .failure(.invitationExpired) }
        return .success(e.invitation)
    }
}

/// Why an authenticated link was refused. Both sides print the same sentence.
public enum AuthFailure: Error, Hashable, Sendable, CustomStringConvertible {
    case wrongSecret
    case unknownInvitation
    case invitationExpired
    case invitationRevoked
    /// The host's certificate is not the one the invitation names (joiner side).
    case fingerprintMismatch(expected: String, got: String)
    /// The peers speak different versions of the authentication step.
    case protocolVersion(theirs: UInt64, ours: UInt64)
    /// A plaintext (non-TLS) peer reached a host that requires TLS.
    case plaintextPeer
    /// A read-only peer sent edits.
    case readOnly
    /// The TLS handshake failed.
    case tls(String)
    /// (Joiner) The other end answered the TLS handshake with something that
    /// is not TLS: whatever listens there, it is not a Weave host.
    case notWeaveHost
    /// The authentication messages were malformed or out of order.
    case malformed(String)
    /// The host's user did not let the newcomer in (approval required).
    case notApproved
    /// The host's user did not answer the request to join in time.
    case approvalTimedOut(seconds: Int)
    /// The other side refused with a code this side does not know.
    case other(String)

    /// Wire code of the refusal.
    var code: UInt8 {
        switch self {
        case .wrongSecret: return 1
        case .unknownInvitation: return 2
        case .invitationExpired: return 3
        case .invitationRevoked: return 4
        case .fingerprintMismatch: return 5
        case .protocolVersion: return 6
        case .plaintextPeer: return 7
        case .readOnly: return 8
        case .tls, .notWeaveHost: return 9
        case .malformed: return 10
        case .notApproved: return 11
        case .approvalTimedOut: return 12
        case .other: return 0
        }
    }

    public var description: String {
        switch self {
        case .wrongSecret: return "wrong secret: the invitation's secret does not match the host's"
        case .unknownInvitation: return "unknown invitation: the host never issued it"
        case .invitationExpired: return "the invitation has expired"
        case .invitationRevoked: return "the invitation was revoked"
        case .fingerprintMismatch(let e, let g):
            return "fingerprint mismatch: the host's certificate is \(g), the invitation expects \(e)"
        case .protocolVersion(let theirs, let ours):
            return "protocol version \(theirs) is not supported (this Weave speaks version \(ours))"
        case .plaintextPeer: return "this host only accepts invited peers over TLS (join with --invite)"
        case .readOnly: return "read-only invitation: edits are not accepted"
        case .tls(let s): return "TLS handshake failed: \(s)"
        case .notWeaveHost: return "not a Weave host (it does not answer Weave's TLS handshake)"
        case .malformed(let s): return "malformed authentication: \(s)"
        case .notApproved: return "the host did not let you in"
        case .approvalTimedOut(let s): return "the host did not answer the request to join within \(s) s"
        case .other(let s): return s
        }
    }

    /// What the joiner makes of a refusal with `code` and `text`.
    static func fromWire(code: UInt8, text: String) -> AuthFailure {
        switch code {
        case 1: return .wrongSecret
        case 2: return .unknownInvitation
        case 3: return .invitationExpired
        case 4: return .invitationRevoked
        case 7: return .plaintextPeer
        case 8: return .readOnly
        case 11: return .notApproved
        case 12: return .approvalTimedOut(seconds: Int(text.split(separator: " ").dropLast().last ?? "") ?? 0)
        default: return .other(text)
        }
    }
}
