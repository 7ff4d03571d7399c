import WeaveCore

/// One message of the authentication step: the payload of one frame, inside
/// TLS and before any Weave frame (docs/WIRE.md, "Security").
///
/// ```
/// host → joiner  Challenge: 0x41 "WVAU" varint(version 2) host nonce (32)
/// joiner → host  Proof:     0x42 "WVAU" varint(2) invitation ID (8) joiner nonce (32) MAC (32)
///                           name (UTF-8, 0–64 bytes: the rest of the frame)
/// host → joiner  Pending:   0x45 varint(seconds the host's user has to answer)   (approval required)
/// host → joiner  Accept:    0x43 flags (bit 0: read-only)
/// either         Refuse:    0x44 code, reason (UTF-8: the rest of the frame)
/// ```
/// The MAC is `AuthStep.mac` over both certificates' fingerprints, both nonces,
/// the invitation ID and the name.
enum AuthMessage: Hashable, Sendable {
    case challenge(nonce: [UInt8])
    case proof(Proof)
    case pending(seconds: UInt64)
    case accept(readOnly: Bool)
    case refuse(code: UInt8, reason: String)

    /// A joiner's proof that it holds an invitation's secret.
    struct Proof: Hashable, Sendable {
        /// The invitation's ID (`Invitation.idBytes` bytes).
        var invitationID: [UInt8]
        /// The joiner's fresh nonce (`AuthMessage.nonceBytes`).
        var nonce: [UInt8]
        /// HMAC-SHA256 (`AuthMessage.macBytes`) of the transcript (`AuthStep.transcript`).
        var mac: [UInt8]
        /// The name the joiner gives (at most `AuthMessage.maxName` bytes of UTF-8; unverified).
        var name: String
    }

    /// Message type bytes (after the Weave messages' 1–8, so a Weave frame is never taken for one).
    enum Kind: UInt8, Sendable, CaseIterable {
        case challenge = 0x41, proof = 0x42, accept = 0x43, refuse = 0x44, pending = 0x45

        var name: String {
            switch self {
            case .challenge: return "Challenge"
            case .proof: return "Proof"
            case .accept: return "Accept"
            case .refuse: return "Refuse"
            case .pending: return "Pending"
            }
        }
    }

    /// The authentication step's version, in Challenge and Proof.
    static let version: UInt64 = 2
    /// The four bytes after the type of Challenge and Proof: "WVAU".
    static let magic: [UInt8] = Array("WVAU".utf8)
    static let nonceBytes = 32
    static let macBytes = 32
    /// The longest name in a Proof, in bytes.
    static let maxName = 64

    var kind: Kind {
        switch self {
        case .challenge: return .challenge
        case .proof: return .proof
        case .pending: return .pending
        case .accept: return .accept
        case .refuse: return .refuse
        }
    }

    // MARK: Encoding

    /// Appends the message's payload (without the frame's length prefix). O(size).
    /// Writes the fields as they are: a nonce, ID, MAC or name of another size
    /// makes a message the other side refuses.
    func encode(into w: inout ByteWriter) {
        w.bytes.append(kind.rawValue)
        switch self {
        case .challenge(let nonce):
            AuthMessage.header(into: &w)
            w.append(nonce)
        case .proof(let p):
            AuthMessage.header(into: &w)
            w.append(p.invitationID)
            w.append(p.nonce)
            w.append(p.mac)
            w.append(p.name.utf8)
        case .pending(let seconds):
            w.varint(seconds)
        case .accept(let readOnly):
            w.bytes.append(readOnly ? 1 : 0)
        case .refuse(let code, let reason):
            w.bytes.append(code)
            w.append(reason.utf8)
        }
    }

    /// The message's payload bytes. O(size).
    func encode() -> [UInt8] {
        var w = ByteWriter()
        encode(into: &w)
        return w.bytes
    }

    private static func header(into w: inout ByteWriter) {
        w.append(magic)
        w.varint(version)
    }

    // MARK: Decoding

    /// Decodes one frame's payload. Strict: every field at its size, nothing
    /// after the last, except Refuse, which is always read (a missing code reads
    /// as 0, a reason that is not UTF-8 with replacement characters) so that the
    /// other side's reason reaches the user. A Challenge or Proof of another
    /// version throws `.unsupportedVersion` and nothing after the version is read.
    /// Never traps. O(size).
    static func decode(_ bytes: [UInt8]) throws(AuthMessageError) -> AuthMessage {
        guard let first = bytes.first else { throw .empty }
        guard let kind = Kind(rawValue: first) else { throw .unknownType(first) }
        var r = ByteReader(bytes)
        r.offset = 1
        do {
            let m: AuthMessage
            switch kind {
            case .challenge:
                try header(&r, kind)
                m = .challenge(nonce: Array(try r.take(nonceBytes, "host nonce")))
            case .proof:
                try header(&r, kind)
                let id = Array(try r.take(Invitation.idBytes, "invitation ID"))
                let nonce = Array(try r.take(nonceBytes, "joiner nonce"))
                let mac = Array(try r.take(macBytes, "MAC"))
                guard r.remaining <= maxName else { throw AuthMessageError.nameTooLong(bytes: r.remaining) }
                var name = String.UnicodeScalarView()
                while !r.isAtEnd { name.append(contentsOf: try r.utf8(count: 1, "name")) }
                m = .proof(Proof(invitationID: id, nonce: nonce, mac: mac, name: String(name)))
            case .pending:
                m = .pending(seconds: try r.varint("seconds"))
            case .accept:
                m = .accept(readOnly: try r.byte("flags") & 1 != 0)
            case .refuse:
                return .refuse(code: bytes.count > 1 ? bytes[1] : 0, reason: String(decoding: bytes.dropFirst(2), as: UTF8.self))
            }
            guard r.isAtEnd else { throw DecodeError.trailingBytes(offset: r.offset) }
            return m
        } catch let e as AuthMessageError {
            throw e
        } catch let e as DecodeError {
            throw .malformed(message: kind.name, e)
        } catch {
            throw .malformed(message: kind.name, .inconsistent("\(error)"))
        }
    }

    /// Reads the magic and checks the version that open Challenge and Proof.
    private static func header(_ r: inout ByteReader, _ kind: Kind) throws {
        guard try r.take(magic.count, "magic").elementsEqual(magic) else { throw AuthMessageError.notAuthentication(message: kind.name) }
        let v = try r.varint("version")
        guard v == version else { throw AuthMessageError.unsupportedVersion(message: kind.name, theirs: v) }
    }
}

/// Why an authentication message could not be read. Each reads as a sentence
/// naming the message; `failure` is what the peer that sent it is refused with.
enum AuthMessageError: Error, Hashable, Sendable, CustomStringConvertible {
    case empty
    /// Not an authentication message type (a Weave Hello, for instance).
    case unknownType(UInt8)
    /// A Challenge or Proof without the "WVAU" magic.
    case notAuthentication(message: String)
    /// A Challenge or Proof of another version of the authentication step.
    case unsupportedVersion(message: String, theirs: UInt64)
    case malformed(message: String, DecodeError)
    /// A Proof's name above `AuthMessage.maxName` bytes.
    case nameTooLong(bytes: Int)

    var description: String {
        switch self {
        case .empty: return "empty authentication message"
        case .unknownType(let t): return "unexpected authentication message \(t)"
        case .notAuthentication(let m): return "\(m) without the WVAU magic"
        case .unsupportedVersion(let m, let v):
            return "\(m) of authentication version \(v) (this Weave speaks version \(AuthMessage.version))"
        case .malformed(let m, let e): return "bad \(m): \(e)"
        case .nameTooLong(let n): return "bad Proof: a name of \(n) bytes (the limit is \(AuthMessage.maxName))"
        }
    }

    /// The refusal for it: `.protocolVersion` naming both versions, otherwise `.malformed`.
    var failure: AuthFailure {
        if case .unsupportedVersion(_, let theirs) = self { return .protocolVersion(theirs: theirs, ours: AuthMessage.version) }
        return .malformed(description)
    }
}
