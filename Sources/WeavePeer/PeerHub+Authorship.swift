#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import WeaveCore
import WeaveStore

/// Which peer may bring new units of each replica (docs/WIRE.md, "Security",
/// "Authorship"). Loop-confined to its hub.
///
/// An *owner* is an authenticated identity: a certificate fingerprint (64 hex
/// digits) on a TLS link, or `replica:HEX` on a plaintext one (which
/// authenticates nobody: its Hello is taken at its word). A replica is bound to
/// the first accepted link that introduces it while nobody here knows it (its
/// Hello, its author card, or its first unit), and to this hub's own identity
/// for this hub's own replica. A TLS host with an invitations file keeps the
/// bindings beside it (`…/invitations/KEY.replicas`), so they outlive a restart.
final class ReplicaOwners {
    private(set) var owners: [ReplicaID: String] = [:]
    /// The file bindings are appended to (nil: kept in memory only).
    private(set) var file: String?

    static let header = "weave-replicas 1"
    /// The most replicas one connection may bind (its own, and one per
    /// earlier run whose edits it brings): bounds what a hostile peer can make
    /// this side remember and write.
    static let maxIntroducedPerLink = 1024

    func owner(of r: ReplicaID) -> String? { owners[r] }

    /// Binds `r` to `identity` unless it is bound already; appends TLS
    /// identities (fingerprints) to the file. Returns the owner now.
    @discardableResult
    func bind(_ r: ReplicaID, to identity: String, logger: Logger = ReplicaOwners.quiet) -> String {
        if let o = owners[r] { return o }
        owners[r] = identity
        if let file, !identity.hasPrefix(ReplicaOwners.plaintextPrefix) {
            if let error = ReplicaOwners.append("\(ReplicaOwners.hex(r))\t\(identity)\n", to: file) {
                logger.error("replica binding not kept on disk", metadata: ["file": "\(file)", "error": "\(error)"])
            }
        }
        return identity
    }

    /// A plaintext link's identity is its Hello replica: rebinding to it is allowed.
    func rebind(_ r: ReplicaID, to identity: String) { owners[r] = identity }

    static let plaintextPrefix = "replica:"
    static let quiet = Logger(label: "weave.peer", factory: { _ in SwiftLogNoOpLogHandler() })

    static func hex(_ r: ReplicaID) -> String {
        let s = String(r.rawValue, radix: 16)
        return String(repeating: "0", count: max(0, 16 - s.count)) + s
    }

    /// Reads `path` (missing: nothing) and appends to it from now on. Lines that
    /// do not parse are skipped and reported; for a replica named twice the first wins.
    func load(_ path: String, logger: Logger = ReplicaOwners.quiet) {
        file = path
        guard let text = ReplicaOwners.contents(path) else { return }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard lines.first.map(String.init) == ReplicaOwners.header else {
            if !lines.isEmpty { logger.error("replica bindings not read: no header", metadata: ["file": "\(path)"]) }
            return
        }
        for (n, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2, fields[0].count == 16, let raw = UInt64(fields[0], radix: 16),
                  fields[1].count == 64, fields[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase })
            else {
                logger.warning("replica binding skipped", metadata: ["file": "\(path)", "line": "\(n + 1)"])
                continue
            }
            let r = ReplicaID(raw)
            if owners[r] == nil { owners[r] = String(fields[1]) }
        }
    }

    private static func contents(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[0 ..< n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `line` (with the header first when the file is new) through
    /// WeaveStore's durable append (0600, fsynced, the directory too when it
    /// is new). nil: done; else why not.
    private static func append(_ line: String, to path: String) -> String? {
        let dir = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !dir.isEmpty { mkdir(dir, 0o700) }
        do {
            try AtomicFile.appendPrivate(path, Array(line.utf8), header: Array((header + "\n").utf8))
            return nil
        } catch {
            return "\(error)"
        }
    }
}

/// Authorship (issue 29: nobody edits as someone else). Every hook runs on the loop.
///
/// - A downstream link (one this hub accepted) may bring new units only of the
///   replicas its identity owns; units of any other replica pass only when they
///   are already here (duplicates and echoes are harmless). Whatever is refused
///   is not applied, is answered with Declined (code 5, a sentence), and is
///   logged once per link and replica; the link stays.
/// - Any link, upstream included, is refused new units of this hub's own
///   replica: only this side makes them.
/// - Author cards, edit marks and presences from a downstream link count only
///   for replicas it owns, so the name shown for a replica is the one its owner gave.
/// - What an upstream link (the host or relay this side joined) brings is taken
///   as that peer's word, as its whole document is.
extension PeerHub {
    /// The identity that owns what `c` introduces (its certificate, else its Hello replica).
    func authorIdentity(of c: PeerConnection, hello: Greeting? = nil) -> String? {
        if let fp = c.peerFingerprint { return PeerIdentity.hex(fp) }
        guard let r = hello?.replica ?? c.remote?.replica else { return nil }
        return ReplicaOwners.plaintextPrefix + ReplicaOwners.hex(r)
    }

    /// (Listening with TLS) loads the kept bindings and binds this hub's own replica to its own key.
    func prepareAuthorship() {
        guard let security = configuration.security else { return }
        if let store = security.invitations.storePath, replicaOwners.file == nil {
            let base = store.hasSuffix(".tsv") ? String(store.dropLast(4)) : store
            replicaOwners.load(base + ".replicas", logger: logger)
        }
        replicaOwners.bind(replica, to: security.identity.fingerprintHex, logger: logger)
    }

    /// Whether anything of `r` is here: units in any document, or an author card.
    func holdsAnything(of r: ReplicaID) -> Bool {
        if r == replica || authorCards[r] != nil || document.seen(r) > 0 { return true }
        return documents.values.contains { $0.rga.seen(r) > 0 }
    }

    /// Why `r` cannot be introduced by downstream link `c` (nil: it may, and is now bound to it when it was free).
    func introductionRefusal(_ r: ReplicaID, by c: PeerConnection) -> String? {
        if r == replica { return "edits under this peer's own replica \(r) are made only here" }
        guard !c.outbound else { return nil }
        guard let me = authorIdentity(of: c) else { return "this link has no identity yet" }
        if let owner = replicaOwners.owner(of: r) {
            return owner == me ? nil : "replica \(r) belongs to another peer: its edits come only from that peer"
        }
        if holdsAnything(of: r) {
            return "replica \(r) already has edits here that this link did not bring: its edits are not accepted from it"
        }
        guard c.replicasIntroduced < ReplicaOwners.maxIntroducedPerLink else {
            return "this link introduced \(ReplicaOwners.maxIntroducedPerLink) replicas already: no more are accepted from it"
        }
        c.replicasIntroduced += 1
        replicaOwners.bind(r, to: me, logger: logger)
        return nil
    }

    /// (Accepted link, at its Hello) why the greeting is refused: its replica
    /// belongs to another identity, or (TLS) it has edits here that no link
    /// brought. Otherwise the replica is bound to the link. A plaintext Hello is
    /// its own identity, taken at its word.
    func authorshipRefusal(hello g: Greeting, from c: PeerConnection) -> Refusal? {
        guard let me = authorIdentity(of: c, hello: g) else { return nil }
        if c.peerFingerprint == nil {
            replicaOwners.rebind(g.replica, to: me)
            return nil
        }
        if let owner = replicaOwners.owner(of: g.replica) {
            if owner == me { return nil }
            logger.warning("greeting refused: replica of another peer", metadata: ["replica": "\(g.replica)", "address": "\(c.address)"])
            return Refusal(code: .unauthorized, text: "replica \(g.replica) belongs to another peer (another key): join as yourself")
        }
        if holdsAnything(of: g.replica) {
            logger.warning("greeting refused: replica with edits no link brought", metadata: ["replica": "\(g.replica)", "address": "\(c.address)"])
            return Refusal(code: .unauthorized, text: "replica \(g.replica) already has edits here that no peer brought: join as a new replica")
        }
        replicaOwners.bind(g.replica, to: me, logger: logger)
        return nil
    }

    /// The operations of a batch from `c` that it may bring to `rga`: units
    /// already held, and new units of the replicas `c` may introduce. The rest
    /// is declined (one Declined per batch, logged once per link and replica).
    func authored(_ ops: [Operation], in rga: RGA, from c: PeerConnection) -> [Operation] {
        var kept: [Operation] = []
        kept.reserveCapacity(ops.count)
        var refusedUnits = 0
        var reason: String?
        var verdicts: [ReplicaID: String?] = [:]
        for op in ops {
            if op.length > 0, op.seqEnd <= rga.seen(op.replica) { kept.append(op); continue }  // already here
            let why: String?
            if let v = verdicts[op.replica] { why = v } else {
                why = introductionRefusal(op.replica, by: c)
                verdicts[op.replica] = why
            }
            guard let why else { kept.append(op); continue }
            refusedUnits += op.length
            reason = reason ?? why
            if c.refusedReplicas.insert(op.replica).inserted {
                logger.warning("edits refused: not this link's replica", metadata: [
                    "conn": "\(c.id)", "address": "\(c.address)", "replica": "\(op.replica)", "reason": "\(why)",
                ])
            }
        }
        if let reason {
            c.opsDeclined += ops.count - kept.count
            c.send(.declined(Declined(code: .unauthorized, units: UInt64(refusedUnits), reason: reason)))
            c.flush()
        }
        return kept
    }

    /// The part of a History note from `c` about replicas it may speak for:
    /// from a downstream link, the cards and marks of replicas it owns (or
    /// introduces now); from an upstream link, all of it.
    func authoredHistory(_ h: HistoryNote, from c: PeerConnection) -> HistoryNote {
        guard !c.outbound else { return h }
        var verdicts: [ReplicaID: Bool] = [:]
        func allowed(_ r: ReplicaID) -> Bool {
            if let v = verdicts[r] { return v }
            let v = introductionRefusal(r, by: c) == nil
            verdicts[r] = v
            return v
        }
        var out = HistoryNote()
        out.authors = h.authors.filter { allowed($0.replica) }
        out.marks = h.marks.filter { allowed($0.replica) }
        return out
    }

    /// Whether a presence from `c` may be taken: never one of this hub's own
    /// replica; from a downstream link, only for a replica that link owns (or introduces now).
    func presenceAllowed(_ p: Presence, from c: PeerConnection) -> Bool {
        introductionRefusal(p.replica, by: c) == nil
    }
}
