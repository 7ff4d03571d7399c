import WeaveCore

/// The peer list (F4/Ctrl-P in a `weave host`/`weave join` session): one row
/// per connection or outbound link with its sync health, then the peers heard
/// of through a relay. A pure value: the session (`PeerLink`) gathers the
/// hub's figures as plain `Link`s and `Relayed` presences and builds it with
/// `init(title:links:relayed:through:colours:footer:)`; the editor draws it
/// (its columns: PeerList+Layout.swift).
public struct PeerList: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var name: String
        public var colour: Grid.Colour
        /// "connected", "connecting", "handshaking", "offline", "stopped", "relayed".
        public var state: String
        /// Where the link goes ("127.0.0.1:46476"), or "via NAME, …" for a relayed peer.
        public var address: String
        public var rttMilliseconds: Double?
        public var lastHeardSeconds: Double?
        public var opsSent: Int
        public var opsReceived: Int
        /// Units waiting to be sent to the peer.
        public var opsQueued: Int
        /// Units sent to the peer and not acknowledged yet.
        public var unacknowledged: Int
        /// Units this side holds that the peer has not acknowledged (how far behind it is).
        public var behind: Int
        /// The peer's replica (for Enter and f); nil for a link not yet open.
        public var replica: ReplicaID?
        /// Which file of the workspace the peer is in (its path); nil when not
        /// known or not a workspace. When any row has one, the list shows a
        /// "file" column.
        public var file: String?

        public init(name: String, colour: Grid.Colour, state: String, address: String, rttMilliseconds: Double?,
                    lastHeardSeconds: Double?, opsSent: Int, opsReceived: Int, opsQueued: Int, replica: ReplicaID? = nil,
                    file: String? = nil, unacknowledged: Int = 0, behind: Int = 0) {
            self.unacknowledged = unacknowledged
            self.behind = behind
            self.replica = replica
            self.file = file
            self.name = name
            self.colour = colour
            self.state = state
            self.address = address
            self.rttMilliseconds = rttMilliseconds
            self.lastHeardSeconds = lastHeardSeconds
            self.opsSent = opsSent
            self.opsReceived = opsReceived
            self.opsQueued = opsQueued
        }
    }

    /// The first line: this peer and the link state ("me (online)").
    public var title: String
    public var rows: [Row]
    /// Lines under the rows (the host's join command), wrapped at the screen's width.
    public var footer: [String] = []

    /// The row ↑/↓ or a click select (drawn in reverse video): Enter goes to
    /// that peer's cursor, f follows it.
    public var selected: Int?
    /// The first row on screen when there are more rows than fit (the wheel
    /// scrolls; the drawing keeps the selected row on screen whatever it says).
    public var top = 0

    public init(title: String, rows: [Row], footer: [String] = [], selected: Int? = nil) {
        self.title = title; self.rows = rows; self.footer = footer; self.selected = selected
    }
}

extension PeerList {
    /// One connection or outbound link as the hub reports it, in plain
    /// figures (WeaveEditor knows no hub).
    public struct Link: Sendable, Equatable {
        /// The peer at the other end, once its handshake is done.
        public struct Peer: Sendable, Equatable {
            /// Its name as drawn (already made printable).
            public var name: String
            public var replica: ReplicaID
            /// The palette colour it chose (`Grid.Colour.author`), used when `colours` has none for it.
            public var colour: Int
            public init(name: String, replica: ReplicaID, colour: Int) {
                self.name = name; self.replica = replica; self.colour = colour
            }
        }

        public var peer: Peer?
        public var address: String
        /// "handshaking", "connected", "connecting", "offline", "stopped".
        public var state: String
        public var rttMilliseconds: Double?
        public var lastHeardSeconds: Double?
        public var opsSent: Int
        public var opsReceived: Int
        public var queued: Int
        public var unacknowledged: Int
        public var behind: Int
        /// The workspace file the peer is in (nil: not known, or one file).
        public var file: String?

        public init(peer: Peer?, address: String, state: String, rttMilliseconds: Double? = nil, lastHeardSeconds: Double? = nil,
                    opsSent: Int = 0, opsReceived: Int = 0, queued: Int = 0, unacknowledged: Int = 0, behind: Int = 0,
                    file: String? = nil) {
            self.peer = peer; self.address = address; self.state = state
            self.rttMilliseconds = rttMilliseconds; self.lastHeardSeconds = lastHeardSeconds
            self.opsSent = opsSent; self.opsReceived = opsReceived
            self.queued = queued; self.unacknowledged = unacknowledged; self.behind = behind
            self.file = file
        }
    }

    /// A peer present in the session with no link to this side: its presence
    /// came through a relay (issue 28, defect 4).
    public struct Relayed: Sendable, Equatable {
        /// Its name as drawn (already made printable).
        public var name: String
        public var replica: ReplicaID
        public var colour: Int
        public var file: String?
        public init(name: String, replica: ReplicaID, colour: Int, file: String? = nil) {
            self.name = name; self.replica = replica; self.colour = colour; self.file = file
        }
    }

    /// The list of `links` (in the hub's order), then the `relayed` peers.
    /// A link whose peer is not known yet is named by its address in
    /// parentheses; each peer is drawn in `colours[replica]`, else in the
    /// palette colour it chose. A relayed peer has no link figures: its state
    /// is "relayed" and its address "via" the peers linked to this side
    /// (`through`, names as drawn), empty when there are none. O(rows).
    public init(title: String, links: [Link], relayed: [Relayed], through: [String],
                colours: [ReplicaID: Grid.Colour], footer: [String] = []) {
        let linked = links.map { l in
            Row(name: l.peer?.name ?? "(\(l.address))",
                colour: l.peer.flatMap { colours[$0.replica] } ?? Grid.Colour.author(l.peer?.colour ?? 0),
                state: l.state, address: l.address, rttMilliseconds: l.rttMilliseconds, lastHeardSeconds: l.lastHeardSeconds,
                opsSent: l.opsSent, opsReceived: l.opsReceived, opsQueued: l.queued, replica: l.peer?.replica,
                file: l.file, unacknowledged: l.unacknowledged, behind: l.behind)
        }
        let via = through.isEmpty ? "" : "via " + through.joined(separator: ", ")
        let relayedRows = relayed.map { p in
            Row(name: p.name, colour: colours[p.replica] ?? Grid.Colour.author(p.colour), state: "relayed", address: via,
                rttMilliseconds: nil, lastHeardSeconds: nil, opsSent: 0, opsReceived: 0, opsQueued: 0,
                replica: p.replica, file: p.file)
        }
        self.init(title: title, rows: linked + relayedRows, footer: footer)
    }

    /// The lines under the rows: how others join (`joinCommand`, the host's),
    /// or, once the host's invitations refuse it (`refusal`: why), that it no
    /// longer works. Empty without a join command.
    public static func footer(joinCommand: String?, refusal: String?) -> [String] {
        if let why = refusal {
            return ["The join command printed at start no longer works (\(why)):",
                    "weave invite FILE prints one that does."]
        }
        return joinCommand.map { ["Others join with (Ctrl-C copies it; weave invite FILE prints it on one line):", $0] } ?? []
    }
}
