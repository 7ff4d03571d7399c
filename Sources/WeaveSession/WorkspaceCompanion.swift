import WeavePeer

/// What a shared folder adds to a peer session (see `WorkspaceSession`).
public protocol WorkspaceCompanion: AnyObject {
    /// A hub event about a document of the folder (`documentOperations`, `documentHistory`).
    func handle(_ event: PeerEvent)
}
