import NIOCore

/// Reconnection delays: exponential backoff with jitter.
///
/// The n-th consecutive failure waits a random time in `[b/2, b]`, where
/// `b = min(initial · 2ⁿ⁻¹, cap)`: 100 ms, 200 ms, 400 ms, … up to 2 s by
/// default (so a link is back within about 2 s of the network, however long
/// it was gone). `reset()` after a successful handshake starts again at `initial`.
/// The jitter spreads out peers that lost the same host at the same moment.
public struct Backoff: Sendable {
    public var initial: TimeAmount
    public var cap: TimeAmount
    /// Failures since the last reset.
    public private(set) var failures = 0

    public init(initial: TimeAmount = .milliseconds(100), cap: TimeAmount = .seconds(2)) {
        precondition(initial.nanoseconds > 0 && cap >= initial, "backoff bounds out of order")
        self.initial = initial
        self.cap = cap
    }

    /// The ceiling of the next delay, before jitter. O(1).
    public var ceiling: TimeAmount {
        var b = initial.nanoseconds
        var k = 0
        while k < failures && b < cap.nanoseconds { b *= 2; k += 1 }
        return .nanoseconds(min(b, cap.nanoseconds))
    }

    /// Records a failure and returns how long to wait before the next attempt.
    public mutating func nextDelay<G: RandomNumberGenerator>(using g: inout G) -> TimeAmount {
        let b = ceiling.nanoseconds
        failures += 1
        return .nanoseconds(Int64.random(in: (b / 2) ... b, using: &g))
    }

    public mutating func nextDelay() -> TimeAmount {
        var g = SystemRandomNumberGenerator()
        return nextDelay(using: &g)
    }

    /// Forgets past failures (call on success).
    public mutating func reset() { failures = 0 }
}
