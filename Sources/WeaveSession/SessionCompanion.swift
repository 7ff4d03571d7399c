import WeaveCore
import WeaveEditor

/// What a layer on top of an `EditorSession` adds to it, called on the
/// session's main thread: the peer layer (`PeerLink`) implements it to take
/// its own keys (F6, F4, the approval question), to send each local edit and
/// the cursor, to refresh presence before each redraw, and to say goodbye to
/// peers when a signal ends the process.
///
/// Every requirement has a default that does nothing, so a companion states
/// only what it uses.
public protocol SessionCompanion: AnyObject {
    /// Sees each key before the editor; returns true when it used the key
    /// (the editor then never sees it).
    func filter(_ key: Key) -> Bool
    /// Called after each round of keys (the peer layer sends the cursor).
    func afterKeys()
    /// Called before each redraw (the peer layer refreshes its view).
    func beforeDraw()
    /// The companion's next timer, in monotonic nanoseconds (`EditorSession.now()`), or nil.
    var deadline: UInt64? { get }
    /// The operations of one local edit, already recorded in the history.
    func broadcast(_ ops: [Operation])
    /// Called when SIGTERM or SIGHUP ends the session, after the history was
    /// flushed and before the process dies of the signal.
    func beforeSignalExit()
}

extension SessionCompanion {
    public func filter(_ key: Key) -> Bool { false }
    public func afterKeys() {}
    public func beforeDraw() {}
    public var deadline: UInt64? { nil }
    public func broadcast(_ ops: [Operation]) {}
    public func beforeSignalExit() {}
}
