/// Why a folder could not be scanned for sharing. Only the folder itself (and
/// its `.gitignore`) can fail a scan: a file or subfolder that cannot be read
/// is left out and listed in `FolderScan.skipped` instead.
public enum FolderScanError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing is at the path.
    case missing(String)
    /// The path is a file or something else, not a folder.
    case notAFolder(String)
    /// The folder or its `.gitignore` cannot be read (the system's reason).
    case unreadable(String, reason: String)

    public var description: String {
        switch self {
        case .missing(let p): return "cannot share \(p): there is no such folder"
        case .notAFolder(let p): return "cannot share \(p): it is not a folder"
        case .unreadable(let p, let r): return "cannot read \(p): \(r)"
        }
    }
}
