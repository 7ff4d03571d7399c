@preconcurrency import CNcurses
#if canImport(Glibc)
import Glibc
#endif

/// A single-threaded loop blocking in `poll()` on stdin, a wake-up pipe and any
/// registered file descriptors. It uses no CPU while idle.
///
/// Other threads (a network event loop, a timer) hand work to the main thread
/// by queueing it themselves and calling `waker.wake()`; the loop then calls
/// `onWake` on the main thread. SIGWINCH interrupts `poll` (EINTR), which is
/// reported as stdin activity so the pending KEY_RESIZE is read.
public final class EventLoop {
    /// Wakes the loop from any thread: writes one byte to the pipe. Never
    /// blocks (a full pipe already means "wake up").
    public struct Waker: Sendable {
        let fd: Int32
        public func wake() {
            var b: UInt8 = 1
            _ = write(fd, &b, 1)
        }
    }

    struct Source {
        var fd: Int32
        var onReadable: () -> Void
    }

    private let pipeRead: Int32
    private let pipeWrite: Int32
    private var sources: [Int: Source] = [:]
    private var nextID = 0
    private var running = false

    /// Called on the main thread after the pipe was written to.
    public var onWake: (() -> Void)?
    /// Called when stdin is readable (or poll was interrupted by a signal).
    public var onInput: (() -> Void)?
    /// Called once after each round of events, to redraw.
    public var afterEvents: (() -> Void)?
    /// Asked before each wait: the longest wait in milliseconds, or -1 for none
    /// (timers: the history's group commit, playback). A round that timed out
    /// only calls `afterEvents`.
    public var timeout: (() -> Int32)?

    /// Creates the wake-up pipe. Throws `.system` when `pipe2` fails.
    public init() throws(DocumentFile.Failure) {
        var fds: [Int32] = [0, 0]
        guard weave_pipe_nonblock(&fds) == 0 else {
            throw .system(call: "pipe2", path: "wake-up pipe", errno: errno)
        }
        pipeRead = fds[0]
        pipeWrite = fds[1]
    }

    deinit {
        close(pipeRead)
        close(pipeWrite)
    }

    public var waker: Waker { Waker(fd: pipeWrite) }

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

    /// Runs until `stop()`. Each round: poll, then input, wake-ups and sources,
    /// then `afterEvents`.
    public func run() {
        running = true
        while running {
            let extra = Array(sources)
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: pipeRead, events: Int16(POLLIN), revents: 0)]
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
            if fds[1].revents & ready != 0 {
                var buf = [UInt8](repeating: 0, count: 256)
                while read(pipeRead, &buf, buf.count) > 0 {}
                onWake?()
            }
            for (k, (_, s)) in extra.enumerated() where fds[k + 2].revents & ready != 0 {
                s.onReadable()
            }
            afterEvents?()
        }
    }
}
