import NIOConcurrencyHelpers

/// Lines produced on one thread (a hub's loop) and written by another (the
/// main thread), so that a slow or full stdout never blocks the loop.
/// `append` is O(1) under a lock; `take` hands over everything queued.
public final class LineQueue: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    public init() {}

    public func append(_ line: String) { lines.withLockedValue { $0.append(line) } }

    /// Every line queued since the last `take`, oldest first.
    public func take() -> [String] {
        lines.withLockedValue { l in
            defer { l.removeAll(keepingCapacity: true) }
            return l
        }
    }
}
