import WeaveCore

/// A shared folder's state: which files exist, under which paths (see
/// docs/WORKSPACES.md). Pure: no I/O.
public enum Workspace {}
