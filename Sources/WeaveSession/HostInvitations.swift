import WeavePeer

/// This installation's identity and FILE's invitations, as `weave host`,
/// `weave serve` and the invitation commands use them.
public struct HostInvitations {
    /// Why the identity or the invitations could not be had, in words for the user.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public let identity: PeerIdentity
    public let store: InvitationStore

    /// Loads (or makes, the first time) this installation's identity; FILE's
    /// invitations are read when asked for. `directory`: where both are kept
    /// (default `PeerIdentity.defaultDirectory()`). Throws `Failure`.
    public init(document: String, directory: String? = nil) throws {
        let directory = directory ?? PeerIdentity.defaultDirectory()
        do { identity = try PeerIdentity.loadOrCreate(directory: directory) } catch {
            throw Failure("cannot load or create this installation's identity in \(directory): \(error)")
        }
        store = InvitationStore(document: document, directory: directory)
    }

    /// The invitation to print for a host listening on `address`: the standing
    /// one of that access mode, or a new one that expires after `validFor`.
    public func forHost(readOnly: Bool, validFor: UInt64?, address: String) throws -> Invitation {
        do {
            if let validFor {
                return try store.issue(for: identity, readOnly: readOnly, validFor: validFor,
                                       label: "host, \(DurationText.describe(validFor))", address: address)
            }
            return try store.standing(for: identity, readOnly: readOnly, address: address)
        } catch {
            throw Failure("cannot keep the invitations in \(store.path): \(error)")
        }
    }

    /// The book a host admits from: every active invitation of the document, re-read when the file changes.
    public func book() throws -> InvitationBook {
        do { return try InvitationBook(store: store, for: identity) } catch {
            throw Failure("cannot read the invitations: \(error)")
        }
    }

    /// `weave join ADDRESS --invite TOKEN`.
    public static func joinCommand(address: String, _ invitation: Invitation) -> String {
        "weave join \(address) --invite \(invitation.token)"
    }
}

/// Durations on the command line: 90s, 30m, 2h, 7d (a bare number is seconds).
public enum DurationText {
    /// Seconds, or nil for anything else (zero, negative, overflowing). O(1).
    public static func parse(_ s: String) -> UInt64? {
        let units: [Character: UInt64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = s, factor: UInt64 = 1
        if let last = s.last, let f = units[last] { digits = String(s.dropLast()); factor = f }
        guard let n = UInt64(digits), n > 0, n <= UInt64.max / factor / 2 else { return nil }
        return n * factor
    }

    /// "2 h", "30 min", "7 d", "90 s". O(1).
    public static func describe(_ seconds: UInt64) -> String {
        if seconds % 86_400 == 0 { return "\(seconds / 86_400) d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600) h" }
        if seconds % 60 == 0 { return "\(seconds / 60) min" }
        return "\(seconds) s"
    }
}
