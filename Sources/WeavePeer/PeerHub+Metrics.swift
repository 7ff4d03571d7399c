import NIOCore

/// A hub's traffic since it started, closed connections included: what a
/// relay's operator graphs (`weave serve --metrics`, issue 35). Counts only
/// grow. Bytes are as read from and written to the socket (TLS records
/// included); operations and units as in `PeerStats`.
public struct HubTraffic: Sendable, Equatable {
    public var bytesIn = 0, bytesOut = 0
    public var opsIn = 0, opsOut = 0
    public var unitsIn = 0, unitsOut = 0
    /// Operations a read-only link sent that were not applied (answered with Declined).
    public var opsDeclined = 0

    public init() {}

    mutating func add(_ c: PeerConnection) {
        bytesIn += c.bytesIn
        bytesOut += c.bytesOut
        opsIn += c.opsReceived
        opsOut += c.opsSent
        unitsIn += c.unitsReceived
        unitsOut += c.unitsSent
        opsDeclined += c.opsDeclined
    }
}

extension PeerHub {
    /// The goodbye `weave serve` says on SIGTERM or SIGINT (`shutdown(saying:)`):
    /// its joiners show "relay restarting" and redial every 100-250 ms
    /// (`Configuration.restartRedialWindow`) instead of backing off, so they are
    /// back within moments of a restart (a stop looks the same; they keep trying).
    public static let restartingReason = "relay restarting"

    /// The traffic so far (closed connections and open ones). O(connections).
    public func traffic() -> EventLoopFuture<HubTraffic> {
        eventLoop.submit { [self] in
            var t = closedTraffic
            for c in connections.values { t.add(c) }
            return t
        }
    }

    /// Every replica's latest presence heard here (this replica's own included;
    /// departed ones are gone). O(replicas). For `weave status`.
    public func presences() -> EventLoopFuture<[Presence]> {
        eventLoop.submit { [self] in Array(presence.presences.values) }
    }

    /// A connection ends: its counts stay in the hub's totals. On the loop.
    func keepTraffic(of c: PeerConnection) { closedTraffic.add(c) }
}
