import NIOCore
import WeaveCore

/// Why a peer connection failed or was closed. Every case reads as a sentence
/// a user (or a log) can act on; the connection it happened on is closed, and
/// the document and the other connections are unaffected.
public enum PeerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A frame's length prefix is above the limit. Refused as soon as the four
    /// length bytes arrive, before any of the frame is buffered.
    case frameTooLarge(length: UInt64, limit: Int)
    /// A frame holds a message type this Weave does not know.
    case unknownMessageType(UInt8)
    /// A message's bytes do not decode.
    case malformed(message: String, DecodeError)
    /// The peer speaks another protocol version. Both sides name both versions.
    case versionMismatch(theirs: UInt64, ours: UInt64)
    /// The peer's greeting does not start with Weave's magic number.
    case notWeave
    /// The peer sent a message that is not allowed in the connection's state.
    case unexpected(message: String, state: String)
    /// The peer claims this replica's own ID (a connection to oneself, or a copied replica).
    case sameReplica(ReplicaID)
    /// The peer did not complete the handshake in time.
    case handshakeTimeout(seconds: Double)
    /// The link is slow (its round trip, measured during the handshake, is
    /// long) and the handshake did not finish within the limit it allowed.
    case slowLink(seconds: Double, roundTrip: Double)
    /// Nothing was heard from the peer for too long.
    case peerSilent(seconds: Double)
    /// The peer refused this connection.
    case refused(Refusal)
    /// An operation from the peer could not be applied (it can never become
    /// ready, or too many are waiting for predecessors).
    case badOperation(OperationError)
    /// The peer said goodbye.
    case peerLeft(reason: String)
    /// This side closed the connection on purpose (going offline, shutting down).
    case closedLocally(reason: String)
    /// The connection failed at the socket level.
    case io(String)
    /// Authentication failed (TLS, fingerprint, invitation, read-only): see `AuthFailure`.
    case unauthorized(AuthFailure)
    /// Nothing accepts connections at that address (connection refused).
    case connectionRefused(address: String)
    /// A connection could not be made for another reason (no route, no answer, unknown host): in words.
    case cannotConnect(address: String, reason: String)

    public var description: String {
        switch self {
        case .frameTooLarge(let n, let limit): return "frame of \(n) bytes is larger than the limit of \(limit) bytes"
        case .unknownMessageType(let t): return "unknown message type \(t)"
        case .malformed(let m, let e): return "malformed \(m) message: \(e)"
        case .versionMismatch(let theirs, let ours):
            return "protocol version \(theirs) is not supported (this Weave speaks version \(ours))"
        case .notWeave: return "the peer does not speak the Weave protocol (bad magic number)"
        case .unexpected(let m, let s): return "unexpected \(m) message while \(s)"
        case .sameReplica(let r): return "the peer uses this replica's own ID \(r)"
        case .handshakeTimeout(let s): return "no handshake within \(Self.text(s)) s"
        case .slowLink(let s, let rtt):
            return "slow link: the handshake did not finish within \(Self.text(s)) s (round trip \(Self.text(rtt)) s)"
        case .peerSilent(let s): return "nothing heard from the peer for \(Self.text(s)) s"
        case .refused(let r): return "refused by the peer: \(r.text)"
        case .badOperation(let e): return "bad operation from the peer: \(e)"
        case .peerLeft(let r): return "the peer left (\(r))"
        case .closedLocally(let r): return "closed (\(r))"
        case .io(let s): return s
        case .unauthorized(let f):
            // A TLS handshake cut or reset is the network (retried), not a refusal.
            if case .tls = f { return "\(f)" }
            return "not authorized: \(f)"
        case .connectionRefused(let a): return "nothing is listening on \(a)"
        case .cannotConnect(let a, let why): return "cannot connect to \(a): \(why)"
        }
    }

    /// Seconds as shown to people and in logs: to a tenth (6.000600714 s is 6 s).
    public static func rounded(_ t: TimeAmount) -> Double { rounded(Double(t.nanoseconds) / 1e9) }
    public static func rounded(_ s: Double) -> Double { s.isFinite ? (s * 10).rounded() / 10 : s }

    /// "6", "1.4": a rounded number of seconds without a trailing ".0".
    static func text(_ s: Double) -> String {
        let r = rounded(s)
        return r == r.rounded() && abs(r) < 1e15 ? "\(Int(r))" : "\(r)"
    }

    /// Whether reconnecting could help: false for refusals that will repeat.
    public var isPermanent: Bool {
        switch self {
        case .versionMismatch, .notWeave, .sameReplica: return true
        case .refused(let r): return r.code == .versionMismatch || r.code == .sameReplica || r.code == .unauthorized || r.code == .otherShare
        case .unauthorized(let f):
            // TLS failures are retried (a host restarting); `weave join` gives up at once on
            // `.notWeaveHost` before it has the document.
            if case .tls = f { return false }
            if case .notWeaveHost = f { return false }
            return true
        default: return false
        }
    }
}
