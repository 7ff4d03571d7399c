@preconcurrency import CNcurses
#if canImport(Glibc)
import Glibc
#endif

/// A single-threaded loop blocking in `poll()` on stdin and any registered
/// file descriptors. It uses no CPU while idle.
///
/// Other threads (a network event loop) hand work to the main thread through a
/// descriptor of their own registered with `addSource` (a `PeerInbox`'s
/// wake-up pipe). SIGWINCH interrupts `poll` (EINTR), which is reported as
/// stdin activity so the pending KEY_RESIZE is read.
public final class EventLoop {
    struct Source {
        var fd: Int32
        var onReadable: () -> Void
    }

    private var sources: [Int: Source] = [:]
    private var nextID = 0
    private var running = false

    /// Called when stdin is readable (or poll was interrupted by a signal).
    public var onInput: (() -> Void)?
    /// Called once after each round of events, to redraw.
    public var afterEvents: (() -> Void)?
    /// Asked before each wait: the longest wait in milliseconds, or -1 for none
    /// (timers: the history's group commit, playback). A round that timed out
    /// only calls `afterEvents`.
    public var timeout: (() -> Int32)?

    public init() {}

    /// A pipe whose both ends are non-blocking and close on exec, as
    /// `[read, write]`, or nil when `pipe2` fails (for signal handlers that
    /// must wake the loop: write one byte from the handler, add the read end
    /// as a source).
    public static func nonBlockingPipe() -> [Int32]? {
        var fds: [Int32] = [-1, -1]
        return weave_pipe_nonblock(&fds) == 0 ? fds : nil
    }

    /// Watches `fd`: `onReadable` runs on the loop's thread when it polls
    /// readable (or hung up). Returns an id for `removeSource`.
    @discardableResult
    public func addSource(fd: Int32, onReadable: @escaping () -> Void) -> Int {
        nextID += 1
        sources[nextID] = Source(fd: fd, onReadable: onReadable)
        return nextID
    }

    public func removeSource(_ id: Int) { sources[id] = nil }

    /// Makes `run` return after the current round.
    public func stop() { running = false }

    /// Runs until `stop()` (or until `poll` fails for a reason other than a
    /// signal). Each round: poll, then input and sources, then `afterEvents`.
    public func run() {
        running = true
        while running {
            let extra = Array(sources)
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0)]
            for (_, s) in extra { fds.append(pollfd(fd: s.fd, events: Int16(POLLIN), revents: 0)) }
            let n = poll(&fds, nfds_t(fds.count), timeout?() ?? -1)
            if n < 0 {
                if errno == EINTR { onInput?(); afterEvents?(); continue }
                running = false
                break
            }
            if n == 0 { afterEvents?(); continue }
            let ready = Int16(POLLIN | POLLHUP | POLLERR)
            if fds[0].revents & ready != 0 { onInput?() }
            for (k, (_, s)) in extra.enumerated() where fds[k + 1].revents & ready != 0 {
                s.onReadable()
            }
            afterEvents?()
        }
    }
}
