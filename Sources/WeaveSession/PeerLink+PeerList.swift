// The peer list's figures gathered from the hub's stats and the presences; the rows, columns
// and layout are `PeerList`'s (WeaveEditor).
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
    /// The peer list from the hub's current stats (blocks briefly on the hub's loop):
    /// the figures of every link, then everyone heard of through a relay.
    func makeList() -> PeerList {
        let stats = try? hub.currentStats()
        let links = (stats?.peers ?? []).map { s in
            PeerList.Link(
                peer: s.peer.map { PeerList.Link.Peer(name: Self.display($0.name), replica: $0.replica, colour: Int($0.colour)) },
                address: s.address, state: s.state.rawValue,
                rttMilliseconds: s.rtt.map { Double($0.nanoseconds) / 1e6 },
                lastHeardSeconds: s.sinceLastHeard.map { Double($0.nanoseconds) / 1e9 },
                opsSent: s.opsSent, opsReceived: s.opsReceived, queued: s.unitsQueued,
                unacknowledged: s.unitsUnacknowledged, behind: s.unitsBehind,
                file: s.peer.flatMap { workspace?.path(of: presences[$0.replica]?.document) })
        }
        // Everyone in the session, however many hops away: those heard of
        // through a relay have no link here, so no link figures (issue 28, defect 4).
        let relayed = relayedPresences().map {
            PeerList.Relayed(name: Self.display($0.name), replica: $0.replica, colour: Int($0.colour), file: workspace?.path(of: $0.document))
        }
        let through = Self.uniquePeers(connected.values).map { Self.display($0.name) }
        let me = "\(Self.display(hub.configuration.name)) (\(!online ? "offline — \(Self.edits(queuedEdits)) queued" : connected.isEmpty && dialsOut && linkStopped == nil ? cutOffStatus(now: EditorSession.now()) : "online"))"
        let refusal = joinInvitation.flatMap { hub.configuration.security?.invitations.refusal(of: $0) }.map { "\($0)" }
        return PeerList(title: me, links: links, relayed: relayed, through: through, colours: peerColours(),
                        footer: PeerList.footer(joinCommand: joinCommand, refusal: refusal))
    }

    /// Peers present in the session with no link to this side (their
    /// presence came through a relay), by name. O(peers).
    func relayedPresences() -> [Presence] {
        let direct = Set(connected.values.map(\.replica))
        return presences.values.filter { !direct.contains($0.replica) && $0.replica != hub.replica }
            .sorted { ($0.name, $0.replica) < ($1.name, $1.replica) }
    }

    /// The list as drawn keeps the selected row on screen: the next wheel
    /// notch scrolls from the rows it shows.
    func listScrolled() {
        if let top = session.editor.peerListScreen?.top { peerNav.scrolled(to: top) }
    }
}
