// Over 500 lines: the whole codec of one protocol version in one place, in the order of
// docs/WIRE.md, so that the two are read side by side; each message's encoding and decoding sit
// together.
import WeaveCore
import WeaveHistory

/// The Weave peer protocol's version. Peers of different versions refuse each
/// other with a message naming both (docs/WIRE.md, "How the protocol evolves").
/// 2: Declined (type 9) and Ack (type 10), which a version 1 decoder refuses.
/// 3: shared folders: the greeting says what is shared, Open (type 12) and
/// Scoped (type 13) carry the documents of a folder, presences name a document.
public let weaveProtocolVersion: UInt64 = 3

/// What a peer says about itself when a connection opens (`Hello` from the side
/// that connected, `Welcome` from the side that accepted).
public struct Greeting: Hashable, Sendable {
    /// The replica the peer edits as.
    public var replica: ReplicaID
    /// A display name (at most `Greeting.maxNameBytes` bytes of UTF-8).
    public var name: String
    /// A colour index chosen by the peer; the UI maps it to a colour.
    public var colour: UInt8
    /// Everything the peer has seen of the main document (a folder's own
    /// state, in a workspace); the other side sends what it lacks.
    public var version: VersionVector
    /// What the peer shares: one file, or a folder (new in version 3).
    public var share: Share

    public static let maxNameBytes = 256

    /// What a link shares. Both sides must agree, else the acceptor refuses
    /// (`Refusal.Code.otherShare`): a folder's documents mean nothing to a
    /// single-file editor, and the other way round.
    public enum Share: Hashable, Sendable, CustomStringConvertible {
        case file
        /// A folder, with its workspace ID (0 from a joiner that has not
        /// mirrored one yet: any workspace).
        case folder(UInt64)

        public var isFolder: Bool { if case .folder = self { return true } else { return false } }

        public var description: String {
            switch self {
            case .file: return "one file"
            case .folder: return "a folder"
            }
        }
    }

    public init(replica: ReplicaID, name: String, colour: UInt8, version: VersionVector, share: Share = .file) {
        self.replica = replica
        self.name = name
        self.colour = colour
        self.version = version
        self.share = share
    }
}

/// Why a peer refused a connection.
public struct Refusal: Hashable, Sendable, CustomStringConvertible {
    public enum Code: UInt8, Sendable {
        case other = 0
        case versionMismatch = 1
        case sameReplica = 2
        case offline = 3
        case shuttingDown = 4
        /// Not authorized: no invitation, plaintext to a TLS host, or a read-only peer's edits.
        case unauthorized = 5
        /// The two sides share different things (a file and a folder, or two folders).
        case otherShare = 6
    }
    public var code: Code
    /// The refusing peer's protocol version.
    public var protocolVersion: UInt64
    /// A sentence for the user.
    public var text: String

    public init(code: Code, protocolVersion: UInt64 = weaveProtocolVersion, text: String) {
        self.code = code
        self.protocolVersion = protocolVersion
        self.text = text
    }

    public var description: String { text }
}

/// A peer's answer to an Ops frame it did not apply (`Message.declined`).
public struct Declined: Hashable, Sendable {
    public var code: Refusal.Code
    /// Units in the frame declined.
    public var units: UInt64
    /// A sentence for the user.
    public var reason: String

    public init(code: Refusal.Code, units: UInt64, reason: String) {
        self.code = code
        self.units = units
        self.reason = reason
    }
}

/// A peer's presence: who it is and where its cursor is. Ephemeral: never stored,
/// forwarded between peers so that peers not directly connected see each other.
public struct Presence: Hashable, Sendable {
    /// The replica whose presence this is.
    public var replica: ReplicaID
    /// Grows with every change of that replica's presence; older ones are dropped.
    public var sequence: UInt64
    public var name: String
    public var colour: UInt8
    /// The element just before the cursor; nil when the cursor is at the document start.
    public var cursor: ElementID?
    /// The replica has left the session (its last link closed): forget its
    /// cursor. Sent on by the peer that saw it go, so peers reached only
    /// through that one do not keep a ghost cursor.
    public var departed = false
    /// The other end of the replica's selection (the cursor is one end), as the
    /// element just before it (`after: nil`: the document start); nil: no selection.
    public var selection: SelectionEnd?
    /// Which document of a shared folder the cursor is in (`.main` for a
    /// single file). New in version 3.
    public var document: DocumentID = .main

    /// One end of a selection, in the cursor's convention.
    public struct SelectionEnd: Hashable, Sendable {
        public var after: ElementID?
        public init(after: ElementID?) { self.after = after }
    }

    public init(replica: ReplicaID, sequence: UInt64, name: String, colour: UInt8, cursor: ElementID?, departed: Bool = false,
                selection: SelectionEnd? = nil, document: DocumentID = .main) {
        self.document = document
        self.replica = replica
        self.sequence = sequence
        self.name = name
        self.colour = colour
        self.cursor = cursor
        self.departed = departed
        self.selection = departed ? nil : selection
    }
}

/// The history that travels with operations (docs/WIRE.md, "History"): the
/// authors of the units that follow (each once per replica and link), and where
/// their edits begin and end, with their times. Sent just before the Ops frame
/// whose units it describes. An author's colour travels as one byte: see
/// `Message.encodeHistory`.
public struct HistoryNote: Hashable, Sendable {
    public var authors: [Author]
    public var marks: [EditMark]

    public init(authors: [Author] = [], marks: [EditMark] = []) {
        self.authors = authors
        self.marks = marks
    }

    public var isEmpty: Bool { authors.isEmpty && marks.isEmpty }
}

/// One protocol message: the payload of one frame (docs/WIRE.md).
public enum Message: Hashable, Sendable {
    case hello(Greeting)
    case welcome(Greeting)
    case refuse(Refusal)
    case ops([Operation])
    case presence(Presence)
    case ping(UInt64)
    case pong(UInt64)
    case bye(String)
    /// The Ops frame just received was not applied (a read-only link's edits):
    /// why, and how many units it held. The link stays open.
    case declined(Declined)
    /// Everything the sender has applied, for the replicas it names: what the
    /// receiver may count as delivered (docs/WIRE.md, "Acknowledgements").
    case ack(VersionVector)
    /// Authors and edit boundaries of the units in the next Ops frame.
    case history(HistoryNote)
    /// "Send me this document's units that I lack; I hold this much" (shared
    /// folders, docs/WIRE.md "Documents"). The answer is the units, scoped.
    case open(DocumentID, VersionVector)
    /// An Ops or History message about one document of a shared folder.
    indirect case scoped(DocumentID, Message)

    /// Message type bytes.
    public enum Kind: UInt8, Sendable, CaseIterable {
        case hello = 1, welcome = 2, refuse = 3, ops = 4, presence = 5, ping = 6, pong = 7, bye = 8, declined = 9, ack = 10
        case history = 11, open = 12, scoped = 13

        public var name: String {
            switch self {
            case .hello: return "Hello"
            case .welcome: return "Welcome"
            case .refuse: return "Refuse"
            case .ops: return "Ops"
            case .presence: return "Presence"
            case .ping: return "Ping"
            case .pong: return "Pong"
            case .bye: return "Bye"
            case .declined: return "Declined"
            case .ack: return "Ack"
            case .history: return "History"
            case .open: return "Open"
            case .scoped: return "Scoped"
            }
        }
    }

    /// The four bytes that open every greeting: "WVPR".
    public static let magic: [UInt8] = [0x57, 0x56, 0x50, 0x52]

    public var kind: Kind {
        switch self {
        case .hello: return .hello
        case .welcome: return .welcome
        case .refuse: return .refuse
        case .ops: return .ops
        case .presence: return .presence
        case .ping: return .ping
        case .pong: return .pong
        case .bye: return .bye
        case .declined: return .declined
        case .ack: return .ack
        case .history: return .history
        case .open: return .open
        case .scoped: return .scoped
        }
    }

    // MARK: Encoding

    /// The message's payload bytes (without the frame's length prefix). O(size).
    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.bytes.append(kind.rawValue)
        switch self {
        case .hello(let g), .welcome(let g):
            Message.encodeGreeting(g, version: weaveProtocolVersion, into: &w)
        case .refuse(let r):
            w.bytes.append(r.code.rawValue)
            w.varint(r.protocolVersion)
            Message.string(r.text, into: &w)
        case .ops(let ops):
            w.append(OpCodec.encode(ops))
        case .presence(let p):
            w.u64le(p.replica.rawValue)
            w.varint(p.sequence)
            Message.string(p.name, into: &w)
            w.bytes.append(p.colour)
            if p.departed {
                w.bytes.append(2)
            } else {
                if let c = p.cursor {
                    w.bytes.append(1)
                    w.varint(c.counter)
                    w.u64le(c.replica.rawValue)
                } else {
                    w.bytes.append(0)
                }
                // The selection's other end: 0 none, 1 the document start, 2 after an element.
                switch p.selection {
                case nil: w.bytes.append(0)
                case .some(let s):
                    if let e = s.after {
                        w.bytes.append(2)
                        w.varint(e.counter)
                        w.u64le(e.replica.rawValue)
                    } else {
                        w.bytes.append(1)
                    }
                }
            }
            w.u64le(p.document.rawValue)
        case .ping(let t), .pong(let t):
            w.u64le(t)
        case .bye(let reason):
            Message.string(reason, into: &w)
        case .declined(let d):
            w.bytes.append(d.code.rawValue)
            w.varint(d.units)
            Message.string(d.reason, into: &w)
        case .ack(let v):
            Message.encodeVector(v, into: &w)
        case .history(let h):
            Message.encodeHistory(h, into: &w)
        case .open(let d, let v):
            w.u64le(d.rawValue)
            Message.encodeVector(v, into: &w)
        case .scoped(let d, let inner):
            precondition(inner.kind == .ops || inner.kind == .history, "only Ops and History are scoped")
            w.u64le(d.rawValue)
            w.append(inner.encode())
        }
        return w.bytes
    }

    /// A greeting body. `version` is a parameter so tests can speak other versions.
    static func encodeGreeting(_ g: Greeting, version: UInt64, into w: inout ByteWriter) {
        w.append(magic)
        w.varint(version)
        w.u64le(g.replica.rawValue)
        string(g.name, maxBytes: Greeting.maxNameBytes, into: &w)
        w.bytes.append(g.colour)
        encodeVector(g.version, into: &w)
        switch g.share {
        case .file: w.bytes.append(0)
        case .folder(let id): w.bytes.append(1); w.u64le(id)
        }
    }

    /// A version vector: its size, then each replica `u64le` (ascending) and its count.
    static func encodeVector(_ v: VersionVector, into w: inout ByteWriter) {
        let entries = v.counts.sorted { $0.key < $1.key }
        w.varint(entries.count)
        for (r, n) in entries {
            w.u64le(r.rawValue)
            w.varint(n)
        }
    }

    /// Appends a string as its UTF-8 byte length and bytes, cut to `maxBytes`
    /// on a scalar boundary.
    static func string(_ s: String, maxBytes: Int = 4096, into w: inout ByteWriter) {
        var bytes: [UInt8] = []
        for scalar in s.unicodeScalars {
            let before = bytes.count
            UTF8.encode(scalar) { bytes.append($0) }
            if bytes.count > maxBytes { bytes.removeSubrange(before...); break }
        }
        w.varint(bytes.count)
        w.append(bytes)
    }

    // MARK: Decoding

    /// Decodes one frame's payload. Throws `PeerError.unknownMessageType`,
    /// `.versionMismatch` (a greeting of another protocol version: nothing after
    /// its version is read), `.notWeave`, or `.malformed` naming the message and
    /// the byte offset. Never traps; allocates at most a small multiple of the input.
    public static func decode(_ bytes: [UInt8]) throws(PeerError) -> Message {
        guard let first = bytes.first else {
            throw .malformed(message: "empty", DecodeError.truncated(offset: 0, reading: "message type"))
        }
        guard let kind = Kind(rawValue: first) else { throw .unknownMessageType(first) }
        var r = ByteReader(bytes)
        r.offset = 1
        do {
            let m: Message
            switch kind {
            case .hello: m = .hello(try greeting(&r))
            case .welcome: m = .welcome(try greeting(&r))
            case .refuse:
                let code = Refusal.Code(rawValue: try r.byte("refusal code")) ?? .other
                let version = try r.varint("protocol version")
                m = .refuse(Refusal(code: code, protocolVersion: version, text: try string(&r, "refusal reason", maxBytes: 4096)))
            case .ops:
                let opBytes = Array(bytes[1...])
                if Message.hasOperationsWithoutReplicas(opBytes) {
                    throw DecodeError.inconsistent("operations but an empty replica table")
                }
                m = .ops(try OpCodec.decode(opBytes))
                return m
            case .presence:
                let replica = ReplicaID(try r.u64le("presence replica"))
                let sequence = try r.varint("presence sequence")
                let name = try string(&r, "presence name", maxBytes: Greeting.maxNameBytes)
                let colour = try r.byte("presence colour")
                let flagAt = r.offset
                var cursor: ElementID?
                var departed = false
                switch try r.byte("cursor flag") {
                case 0: cursor = nil
                case 2: departed = true
                case 1:
                    let counter = try r.u32("cursor counter")
                    cursor = ElementID(counter: counter, replica: ReplicaID(try r.u64le("cursor replica")))
                default: throw DecodeError.valueOutOfRange(offset: flagAt, field: "cursor flag")
                }
                var selection: Presence.SelectionEnd?
                if !departed {
                    let selAt = r.offset
                    switch try r.byte("selection flag") {
                    case 0: selection = nil
                    case 1: selection = .init(after: nil)
                    case 2:
                        let counter = try r.u32("selection counter")
                        selection = .init(after: ElementID(counter: counter, replica: ReplicaID(try r.u64le("selection replica"))))
                    default: throw DecodeError.valueOutOfRange(offset: selAt, field: "selection flag")
                    }
                }
                let document = DocumentID(rawValue: try r.u64le("presence document"))
                m = .presence(Presence(replica: replica, sequence: sequence, name: name, colour: colour, cursor: cursor,
                                       departed: departed, selection: selection, document: document))
            case .ping: m = .ping(try r.u64le("ping time"))
            case .pong: m = .pong(try r.u64le("pong time"))
            case .bye: m = .bye(try string(&r, "bye reason", maxBytes: 4096))
            case .declined:
                let code = Refusal.Code(rawValue: try r.byte("declined code")) ?? .other
                let units = try r.varint("declined units")
                m = .declined(Declined(code: code, units: units, reason: try string(&r, "declined reason", maxBytes: 4096)))
            case .ack: m = .ack(try vector(&r))
            case .history: m = .history(try history(&r))
            case .open:
                let d = DocumentID(rawValue: try r.u64le("document"))
                m = .open(d, try vector(&r))
            case .scoped:
                let d = DocumentID(rawValue: try r.u64le("document"))
                let at = r.offset
                guard d != .main else { throw DecodeError.valueOutOfRange(offset: at - 8, field: "document (0 is never scoped)") }
                let innerKind = try r.byte("scoped message type")
                guard innerKind == Kind.ops.rawValue || innerKind == Kind.history.rawValue else {
                    throw DecodeError.valueOutOfRange(offset: at, field: "scoped message type (only Ops and History)")
                }
                do {
                    m = .scoped(d, try decode(Array(bytes[at...])))
                } catch {
                    if case .malformed(let inner, let e) = error { throw PeerError.malformed(message: "Scoped \(inner)", e) }
                    throw error
                }
                return m
            }
            guard r.isAtEnd else { throw DecodeError.trailingBytes(offset: r.offset) }
            return m
        } catch let e as PeerError {
            throw e
        } catch let e as DecodeError {
            // Offsets inside an Ops message count from its operation bytes.
            throw .malformed(message: kind.name, e)
        } catch {
            throw .malformed(message: kind.name, .inconsistent("\(error)"))
        }
    }

    /// Whether `WVOP` bytes declare operations with an empty replica table.
    /// `OpCodec.decode` (WeaveCore, at this commit) traps on that instead of
    /// throwing, and these bytes come from the network, so it is refused here first.
    static func hasOperationsWithoutReplicas(_ bytes: [UInt8]) -> Bool {
        var r = ByteReader(bytes)
        guard bytes.count >= 5 else { return false }
        r.offset = 5
        guard let replicas = try? r.varint("replica count"), replicas == 0,
              let ops = try? r.varint("operation count") else { return false }
        return ops > 0
    }

    static func greeting(_ r: inout ByteReader) throws -> Greeting {
        guard r.remaining >= 4, Array(r.bytes[r.offset ..< r.offset + 4]) == magic else { throw PeerError.notWeave }
        r.offset += 4
        let version = try r.varint("protocol version")
        guard version == weaveProtocolVersion else {
            throw PeerError.versionMismatch(theirs: version, ours: weaveProtocolVersion)
        }
        let replica = ReplicaID(try r.u64le("replica ID"))
        let name = try string(&r, "name", maxBytes: Greeting.maxNameBytes)
        let colour = try r.byte("colour")
        let seen = try vector(&r)
        let shareAt = r.offset
        let share: Greeting.Share
        switch try r.byte("share") {
        case 0: share = .file
        case 1: share = .folder(try r.u64le("workspace"))
        default: throw DecodeError.valueOutOfRange(offset: shareAt, field: "share")
        }
        return Greeting(replica: replica, name: name, colour: colour, version: seen, share: share)
    }

    static func vector(_ r: inout ByteReader) throws -> VersionVector {
        let n = try r.count("version vector size", atMost: r.remaining / 9)
        var vector = VersionVector()
        var previous: UInt64?
        for _ in 0 ..< n {
            let at = r.offset
            let id = try r.u64le("version vector replica")
            if let previous, id <= previous { throw DecodeError.valueOutOfRange(offset: at, field: "version vector replica (not ascending)") }
            previous = id
            vector[ReplicaID(id)] = try r.u32("version vector count")
        }
        return vector
    }

    static func string(_ r: inout ByteReader, _ what: String, maxBytes: Int) throws(DecodeError) -> String {
        let n = try r.count("\(what) length", atMost: min(maxBytes, r.remaining))
        let base = r.offset
        var sub = ByteReader(Array(try r.take(n, what)), base: base)
        var scalars = String.UnicodeScalarView()
        while !sub.isAtEnd { scalars.append(contentsOf: try sub.utf8(count: 1, what)) }
        return String(scalars)
    }

    // MARK: History

    /// Authors: a count, then each replica `u64le`, name, colour. Marks: a count
    /// of groups, then per group a replica `u64le` (ascending, each once), a
    /// count, and per mark: the gap from the previous mark's end (the first:
    /// from 0), its unit count (≥ 1), and its time as a zigzag varint delta
    /// from the previous mark's (the first: from 0). O(size).
    ///
    /// An author's colour is one byte on the wire; an `Author` holds an `Int`
    /// (a history file keeps up to 2^16). A colour outside 0...255 is clamped
    /// (negative to 0, above to 255), not refused: encoding cannot fail, the
    /// colour is only a palette index the receiver maps into its own palette,
    /// and refusing would stop a valid history from travelling at all.
    static func encodeHistory(_ h: HistoryNote, into w: inout ByteWriter) {
        w.varint(h.authors.count)
        for a in h.authors {
            w.u64le(a.replica.rawValue)
            string(a.name, maxBytes: Greeting.maxNameBytes, into: &w)
            w.bytes.append(UInt8(clamping: a.colour))
        }
        var groups: [ReplicaID: [EditMark]] = [:]
        for m in h.marks where m.count > 0 { groups[m.replica, default: []].append(m) }
        w.varint(groups.count)
        for r in groups.keys.sorted() {
            let marks = groups[r]!.sorted { $0.start < $1.start }
            w.u64le(r.rawValue)
            // Overlapping marks cannot be said in this form: the later ones are left out.
            var kept: [EditMark] = []
            for m in marks where kept.last.map({ $0.end <= m.start }) ?? true { kept.append(m) }
            w.varint(kept.count)
            var end: UInt32 = 0, time: Int64 = 0
            for m in kept {
                w.varint(m.start - end)
                w.varint(m.count)
                let d = m.time &- time
                w.varint(UInt64(bitPattern: (d << 1) ^ (d >> 63)))
                end = m.end
                time = m.time
            }
        }
    }

    static func history(_ r: inout ByteReader) throws -> HistoryNote {
        var note = HistoryNote()
        let authors = try r.count("author count", atMost: r.remaining / 10)
        for _ in 0 ..< authors {
            let replica = ReplicaID(try r.u64le("author replica"))
            let name = try string(&r, "author name", maxBytes: Greeting.maxNameBytes)
            note.authors.append(Author(replica: replica, name: name, colour: Int(try r.byte("author colour"))))
        }
        let groups = try r.count("mark group count", atMost: r.remaining / 9)
        var previous: UInt64?
        for _ in 0 ..< groups {
            let at = r.offset
            let id = try r.u64le("mark replica")
            if let previous, id <= previous { throw DecodeError.valueOutOfRange(offset: at, field: "mark replica (not ascending)") }
            previous = id
            let n = try r.count("mark count", atMost: r.remaining / 3)
            var end: UInt64 = 0, time: Int64 = 0
            for _ in 0 ..< n {
                let fieldAt = r.offset
                let gap = try r.varint("mark gap")
                let count = try r.varint("mark units")
                let z = try r.varint("mark time")
                let limit = UInt64(UInt32.max)
                guard gap <= limit - end, count > 0, count <= limit - end - gap else {
                    throw DecodeError.valueOutOfRange(offset: fieldAt, field: "mark units")
                }
                let start = end + gap
                time = time &+ (Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1))
                note.marks.append(EditMark(replica: ReplicaID(id), start: UInt32(start), count: UInt32(count), time: time))
                end = start + count
            }
        }
        return note
    }
}
