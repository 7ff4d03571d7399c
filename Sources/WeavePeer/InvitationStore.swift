#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import WeaveStore

/// The invitations a host has issued for one document, kept on disk so that
/// they outlive a `weave host` session and can be listed and revoked from the
/// command line (`weave invite`, `weave invitations`, `weave revoke`) while the
/// host runs: a running host re-reads the file (`InvitationBook.refresh`) and
/// closes the links of revoked invitations.
///
/// The file lives in the config directory (never beside the document, which
/// may be shared or committed): `invitations/<key>.tsv`, where key is the first
/// 16 hex digits of SHA-256 of the document's absolute path; 0600 in a 0700
/// directory, replaced atomically (temporary file, fsync, rename). Format, one
/// record a line, tab-separated (docs/WIRE.md, "Invitations on disk"):
///
/// ```
/// weave-invitations 1
/// document  /abs/path/notes.txt
/// address   127.0.0.1:7070                 (where the last host listened)
/// invite    TOKEN  CREATED  STATUS  KIND  LABEL
/// ```
/// STATUS is `active` or `revoked`; KIND is `standing` (the one `weave host`
/// prints, reused across runs so a joiner's reconnection keeps working) or
/// `extra` (made by `weave invite --new`). Failure: a damaged file is refused
/// with its line number (`InvitationStoreError.damaged`); nothing is rewritten.
public struct InvitationStore: Sendable {
    /// The file.
    public let path: String
    /// The document's absolute path.
    public let document: String

    public struct Record: Sendable, Equatable {
        public var invitation: Invitation
        /// Seconds since 1970.
        public var created: UInt64
        public var revoked: Bool
        /// The invitation `weave host` prints (one per document and access mode).
        public var standing: Bool
        public var label: String

        public var idHex: String { PeerIdentity.hex(invitation.id) }

        /// Whether a joiner holding it is let in now (not revoked, not expired).
        public func isActive(now: UInt64 = UInt64(Date().timeIntervalSince1970)) -> Bool {
            !revoked && (invitation.expires.map { $0 > now } ?? true)
        }
    }

    public struct Contents: Sendable, Equatable {
        public var records: [Record] = []
        /// "host:port" the last host of this document listened on.
        public var address: String?
    }

    static let header = "weave-invitations 1"

    /// The store of `documentPath`'s invitations in `directory` (default: the config directory).
    public init(document documentPath: String, directory: String = PeerIdentity.defaultDirectory()) {
        let absolute = InvitationStore.absolutePath(documentPath)
        document = absolute
        let key = PeerIdentity.hex(Array(SHA256.hash(data: Array(absolute.utf8)).prefix(8)))
        path = directory + "/invitations/" + key + ".tsv"
    }

    /// `path` made absolute, with symbolic links of its directory resolved (the file itself may not exist yet).
    static func absolutePath(_ path: String) -> String {
        if let r = realpath(path, nil) { defer { free(r) }; return String(cString: r) }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        if let r = realpath(dir, nil) { defer { free(r) }; return String(cString: r) + "/" + url.lastPathComponent }
        return url.standardizedFileURL.path
    }

    /// The file's contents (empty when there is none). Throws `InvitationStoreError`.
    public func load() throws -> Contents {
        guard let data = FileManager.default.contents(atPath: path) else { return Contents() }
        guard let text = String(data: data, encoding: .utf8) else { throw InvitationStoreError.damaged(path: path, line: 1, "not UTF-8") }
        var contents = Contents()
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if n == 0 {
                guard line == InvitationStore.header else { throw InvitationStoreError.damaged(path: path, line: 1, "not a Weave invitations file") }
                continue
            }
            switch fields.first {
            case nil, "": continue
            case "document": continue
            case "address" where fields.count == 2: contents.address = fields[1]
            case "invite" where fields.count == 6:
                guard let inv = Invitation(token: fields[1]), let created = UInt64(fields[2]),
                      fields[3] == "active" || fields[3] == "revoked", fields[4] == "standing" || fields[4] == "extra"
                else { throw InvitationStoreError.damaged(path: path, line: n + 1, "bad invitation record") }
                contents.records.append(Record(invitation: inv, created: created, revoked: fields[3] == "revoked",
                                               standing: fields[4] == "standing", label: fields[5]))
            default:
                throw InvitationStoreError.damaged(path: path, line: n + 1, "unknown record \"\(fields.first ?? "")\"")
            }
        }
        return contents
    }

    /// Replaces the file with `contents` (atomically, 0600: `AtomicFile.writePrivate`).
    /// Throws `InvitationStoreError.io` when it cannot; the old file is then untouched.
    public func save(_ contents: Contents) throws {
        var lines = [InvitationStore.header, "document\t" + document]
        if let a = contents.address { lines.append("address\t" + a) }
        for r in contents.records {
            let label = r.label.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ")
            lines.append(["invite", r.invitation.token, String(r.created), r.revoked ? "revoked" : "active",
                          r.standing ? "standing" : "extra", label].joined(separator: "\t"))
        }
        let dir = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw InvitationStoreError.io("cannot create \(dir): \(error.localizedDescription)")
        }
        do {
            try AtomicFile.writePrivate(path, Array((lines.joined(separator: "\n") + "\n").utf8))
        } catch {
            throw InvitationStoreError.io("\(error)")
        }
    }

    /// The active standing invitation of `identity` for this document and
    /// access mode, made (and saved) when there is none. `address` is recorded
    /// as where the host listens.
    public func standing(for identity: PeerIdentity, readOnly: Bool, address: String? = nil) throws -> Invitation {
        var c = try load()
        if let address { c.address = address }
        if let r = c.records.first(where: {
            $0.standing && $0.isActive() && $0.invitation.readOnly == readOnly && $0.invitation.hostFingerprint == identity.fingerprint
        }) {
            if address != nil { try save(c) }
            return r.invitation
        }
        let inv = Invitation.make(for: identity, readOnly: readOnly)
        c.records.append(Record(invitation: inv, created: UInt64(Date().timeIntervalSince1970), revoked: false,
                                standing: true, label: readOnly ? "host (read-only)" : "host"))
        try save(c)
        return inv
    }

    /// A new invitation, saved (with `address` as where the host listens, when given).
    public func issue(for identity: PeerIdentity, readOnly: Bool, validFor seconds: UInt64?, label: String,
                      address: String? = nil) throws -> Invitation {
        var c = try load()
        if let address { c.address = address }
        let inv = Invitation.make(for: identity, readOnly: readOnly, validFor: seconds)
        c.records.append(Record(invitation: inv, created: UInt64(Date().timeIntervalSince1970), revoked: false,
                                standing: false, label: label))
        try save(c)
        return inv
    }

    /// Revokes the invitations whose ID starts with one of `prefixes` (hex, at
    /// least 4 digits) or whose token is one of them. Throws when a prefix
    /// names none or several. Returns the records revoked.
    @discardableResult
    public func revoke(_ prefixes: [String]) throws -> [Record] {
        var c = try load()
        var hits: [Int] = []
        for p in prefixes {
            let key = p.lowercased()
            let matching: [Int]
            if let inv = Invitation(token: p) {
                matching = c.records.indices.filter { c.records[$0].invitation.id == inv.id }
            } else {
                guard key.count >= 4, key.allSatisfy(\.isHexDigit) else { throw InvitationStoreError.badID(p) }
                matching = c.records.indices.filter { c.records[$0].idHex.hasPrefix(key) }
            }
            guard !matching.isEmpty else { throw InvitationStoreError.unknownID(p) }
            guard matching.count == 1 else { throw InvitationStoreError.ambiguousID(p, matching.count) }
            hits.append(matching[0])
        }
        for i in hits { c.records[i].revoked = true }
        try save(c)
        return hits.map { c.records[$0] }
    }

    /// Revokes every invitation of the document. Returns how many were active.
    @discardableResult
    public func revokeAll() throws -> Int {
        var c = try load()
        let n = c.records.filter { $0.isActive() }.count
        for i in c.records.indices { c.records[i].revoked = true }
        try save(c)
        return n
    }

    /// What identifies the file's current version without reading it (nil: no
    /// file): every save renames a new file into place, so the inode changes even
    /// when two saves fall within one tick of the file system's clock.
    func modificationStamp() -> FileStamp? { PosixFileSystem.shared.stamp(path) }
}

/// Why the invitations file could not be used.
public enum InvitationStoreError: Error, Equatable, CustomStringConvertible {
    case damaged(path: String, line: Int, String)
    case io(String)
    case badID(String)
    case unknownID(String)
    case ambiguousID(String, Int)

    public var description: String {
        switch self {
        case .damaged(let p, let l, let why): return "\(p), line \(l): \(why) (the file is left as it is)"
        case .io(let s): return s
        case .badID(let s): return "\(s) is not an invitation ID (4 or more hex digits, as weave invitations lists them) nor a token"
        case .unknownID(let s): return "no invitation \(s) for this document (weave invitations lists them)"
        case .ambiguousID(let s, let n): return "\(s) names \(n) invitations: give more digits"
        }
    }
}
