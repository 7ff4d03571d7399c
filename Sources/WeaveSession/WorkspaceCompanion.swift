import WeaveCore
import WeavePeer

/// What a shared folder adds to a peer session (see `WorkspaceSession`).
public protocol WorkspaceCompanion: AnyObject {
    /// A hub event about the folder: its documents' traffic, its own state
    /// (the main document's operations and history), presences, joins.
    func handle(_ event: PeerEvent)
    /// The document shown (nil: none yet).
    var current: DocumentID? { get }
    /// Shows document `d`. Throws when it is not a live file.
    func open(_ d: DocumentID) throws
    /// Makes what was written for the folder this turn durable (one sync).
    func commitWrites()
    /// The path of live document `d` in the folder (nil: none, or not a live file).
    func path(of d: DocumentID?) -> String?
    /// While a joiner's files are still arriving: "receiving N of M files"; else nil.
    var arrivalStatus: String? { get }
}
