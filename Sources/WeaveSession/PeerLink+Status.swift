// The status line (link state, peers' names in their colours), remote cursors, following, and
// the peer list's refresh.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import WeaveCore
import WeaveEditor
import WeaveHistory
import WeavePeer
import WeaveStore

extension PeerLink {
    /// The link's state on the status line for a joiner with no peer: the
    /// countdown to the next dial (whole seconds, rounded up) or "reconnecting…"
    /// while dialing, and the edits queued meanwhile.
    func cutOffStatus(now: UInt64) -> String {
        var s: String
        if let at = redialAt, at > now {
            s = "reconnecting in \((at - now + 999_999_999) / 1_000_000_000) s"
        } else {
            s = wasConnected ? "reconnecting…" : "connecting…"
        }
        if relayRestarting { s = "relay restarting · " + s }
        if queuedEdits > 0 { s += " · \(Self.edits(queuedEdits)) queued" }
        return s
    }

    /// The status line, remote cursors and (when shown) the peer list.
    func refresh() {
        if !joinInvitationRefused, let inv = joinInvitation, let why = hub.configuration.security?.invitations.refusal(of: inv) {
            // The start message shows the join command: say once that it stopped working.
            joinInvitationRefused = true
            session.updateEditor { $0.notify("The join command printed at start no longer works (\(why)); weave invite FILE prints one") }
        }
        let peers = Self.uniquePeers(connected.values)
        let shown = shownDocument
        let colours = peerColours()
        let cursors = presences.values.filter { $0.document == shown }.sorted { $0.name < $1.name }.map {
            RemoteCursor(name: Self.display($0.name), colour: colours[$0.replica] ?? Grid.Colour.author(Int($0.colour)), after: $0.cursor, replica: $0.replica,
                         selection: $0.selection.map { $0.after })
        }
        if let f = following {
            if let p = presences[f] {
                let place = FollowedPlace(document: p.document, cursor: p.cursor)
                if followedAt != place {
                    followedAt = place
                    goTo(f)
                }
            } else {
                peerNav.stopFollowing()
                session.updateEditor { $0.notify("Stopped following: the peer left") }
            }
        }
        var status: String
        if !online {
            status = "offline — \(queuedEdits) edit\(queuedEdits == 1 ? "" : "s") queued"
        } else if peers.isEmpty {
            status = dialsOut ? (linkStopped != nil ? "link stopped" : cutOffStatus(now: EditorSession.now())) : "online, no peers"
        } else {
            status = "online"
        }
        if let arriving = workspace?.arrivalStatus { status = arriving + " · " + status }
        if let f = following, let p = presences[f] { status = "following \(Self.display(p.name)) · " + status }
        var list: PeerList?
        if listShown {
            let now = EditorSession.now()
            if statsDeadline == nil || now >= statsDeadline! {
                statsDeadline = now + statsInterval * 1_000_000
                list = makeList()
            } else {
                list = session.editor.peerList ?? makeList()
            }
            let selected = peerNav.clamp(rowCount: list?.rows.count ?? 0)
            list?.selected = selected
            list?.top = peerNav.top
        }
        let relayed = relayedPresences()
        session.updateEditor { ed in
            ed.peerBadges = peers.map { PeerBadge(name: Self.display($0.name), colour: colours[$0.replica] ?? Grid.Colour.author(Int($0.colour))) }
                + relayed.map { PeerBadge(name: Self.display($0.name), colour: colours[$0.replica] ?? Grid.Colour.author(Int($0.colour))) }
            ed.peersStatus = status
            ed.remoteCursors = cursors
            ed.peerList = list
        }
        if list != nil { listScrolled() }
    }

    /// A peer's name as drawn: "?" when empty, control and format characters
    /// (escape sequences a stranger could send) as "?".
    static func display(_ name: String) -> String {
        name.isEmpty ? "?" : Newcomer.printable(name)
    }

    /// The colour each peer is drawn in on this screen: `distinctColours` of
    /// the colours the connected and present peers chose.
    func peerColours() -> [ReplicaID: Grid.Colour] {
        var wanted: [ReplicaID: UInt8] = [:]
        for p in connected.values { wanted[p.replica] = p.colour }
        for p in presences.values where wanted[p.replica] == nil { wanted[p.replica] = p.colour }
        return Self.distinctColours(wanted)
    }

    /// One colour per peer (each joiner picks its own at random, so two may
    /// pick the same): by replica, each keeps the palette colour it chose
    /// unless a peer before it has it, then takes the next free one; peers
    /// look alike only when there are more of them than colours (6), which
    /// 8-colour terminals show as well as any.
    static func distinctColours(_ wanted: [ReplicaID: UInt8]) -> [ReplicaID: Grid.Colour] {
        let n = Grid.Colour.authorPalette.count
        var taken = Set<Int>()
        var out: [ReplicaID: Grid.Colour] = [:]
        for (replica, colour) in wanted.sorted(by: { $0.key < $1.key }) {
            let first = Int(colour) % n
            let i = (0 ..< n).map { (first + $0) % n }.first { !taken.contains($0) } ?? first
            taken.insert(i)
            out[replica] = Grid.Colour.author(i)
        }
        return out
    }

    /// One entry per replica (a peer connected twice shows once), by name.
    static func uniquePeers<S: Sequence>(_ infos: S) -> [PeerInfo] where S.Element == PeerInfo {
        var seen = Set<ReplicaID>()
        return infos.sorted { ($0.name, $0.connection) < ($1.name, $1.connection) }.filter { seen.insert($0.replica).inserted }
    }
}
