#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WeaveWorkspace

/// The text files of a folder that a workspace shares (`weave host DIR`), and
/// what was left out and why.
///
/// Walks the folder recursively (not following symbolic links) and keeps
/// regular files that are UTF-8 text without NUL bytes, at most `sizeLimit`
/// bytes, whose relative path `WorkspacePath.validate` accepts. Left out:
///
/// - names starting with "." (files and folders: .git, .weave, the
///   `.NAME.weave` history sidecars): not listed, but for each hidden folder
///   at the top, listed once ("hidden folder");
/// - whatever ROOT/.gitignore matches (`Gitignore`): listed, an ignored folder
///   once and not entered ("ignored by .gitignore");
/// - symbolic links ("symbolic link"), and pipes, sockets and devices;
/// - names that are not valid UTF-8, or paths that cannot be shared (the
///   reason is `WorkspaceError`'s message);
/// - files over `sizeLimit` (the reason gives the size), binary files (a NUL
///   byte) and files that are not UTF-8 (the reason says which and where,
///   from `StoredDocument.readText`);
/// - files and folders that cannot be read (the system's reason).
///
/// Cost: one `lstat` per entry, and reading every candidate file once
/// (O(total bytes of the files kept)).
public struct FolderScan: Sendable {
    /// The shared files' paths relative to the root, sorted name by name
    /// (`WorkspacePath.precedes`, the order of `FolderState.files`).
    public var files: [String] = []
    /// What was left out, with a reason a user reads, in the same order.
    public var skipped: [(path: String, reason: String)] = []

    /// Reasons with a fixed text, so a caller can group by them.
    public static let hiddenFolder = "hidden folder: names starting with '.' are not shared"
    public static let ignored = "ignored by .gitignore"
    public static let symbolicLink = "symbolic link"

    /// Scans `root`. Throws `FolderScanError` when `root` is missing, is not
    /// a folder, or cannot be read, or when ROOT/.gitignore exists and cannot
    /// be read (sharing what it would have hidden is not a risk to take).
    /// Never throws for what is inside: that is `skipped`.
    public static func scan(_ root: String, sizeLimit: Int = 1 << 20) throws(FolderScanError) -> FolderScan {
        var st = stat()
        guard stat(root, &st) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw .missing(root) }
            throw .unreadable(root, reason: FileIO.reason())
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw .notAFolder(root) }
        let ignoreFile = root + "/.gitignore"
        let ignores: Gitignore
        do {
            ignores = try FileIO.readAll(ignoreFile).map { Gitignore(text: String(decoding: $0, as: UTF8.self)) } ?? Gitignore()
        } catch {
            throw .unreadable(ignoreFile, reason: (error as? StoreError).map(Self.reason) ?? "\(error)")
        }
        var scan = FolderScan()
        let names: [[UInt8]]
        do throws(ListingError) { names = try entries(root) } catch { throw .unreadable(root, reason: error.reason) }
        scan.walk(root: root, folder: "", names: names, ignores: ignores, sizeLimit: sizeLimit)
        scan.files.sort(by: WorkspacePath.precedes)
        scan.skipped.sort { WorkspacePath.precedes($0.path, $1.path) }
        return scan
    }

    /// Visits `names`, the entries of ROOT/`folder` ("" for the root).
    private mutating func walk(root: String, folder: String, names: [[UInt8]], ignores: Gitignore, sizeLimit: Int) {
        for bytes in names {
            let top = folder.isEmpty
            let hidden = bytes.first == UInt8(ascii: ".")
            if hidden && !top { continue }
            guard let name = String(validating: bytes, as: UTF8.self) else {
                if !hidden {
                    let shown = String(decoding: bytes, as: UTF8.self)
                    skipped.append((top ? shown : folder + "/" + shown, "its name is not valid UTF-8"))
                }
                continue
            }
            let path = top ? name : folder + "/" + name
            let absolute = root + "/" + path
            var st = stat()
            guard lstat(absolute, &st) == 0 else {
                if !hidden { skipped.append((path, "cannot read: \(FileIO.reason())")) }
                continue
            }
            let type = st.st_mode & S_IFMT
            if hidden {
                if type == S_IFDIR { skipped.append((path, Self.hiddenFolder)) }
                continue
            }
            if ignores.isIgnored(path, isFolder: type == S_IFDIR) {
                skipped.append((path, Self.ignored))
                continue
            }
            if type == S_IFLNK {
                skipped.append((path, Self.symbolicLink))
                continue
            }
            do throws(WorkspaceError) {
                _ = try WorkspacePath.validate(path)
            } catch {
                skipped.append((path, "cannot be shared: \(error)"))
                continue
            }
            switch type {
            case S_IFDIR:
                do throws(ListingError) {
                    let inner = try Self.entries(absolute)
                    walk(root: root, folder: path, names: inner, ignores: ignores, sizeLimit: sizeLimit)
                } catch {
                    skipped.append((path, "cannot read the folder: \(error.reason)"))
                }
            case S_IFREG:
                if Int(st.st_size) > sizeLimit {
                    skipped.append((path, "too large: \(st.st_size) bytes, the limit is \(sizeLimit)"))
                    continue
                }
                do {
                    _ = try StoredDocument.readText(absolute)
                    files.append(path)
                } catch let error as StoreError {
                    skipped.append((path, Self.reason(error)))
                } catch {
                    skipped.append((path, "cannot read: \(error)"))
                }
            default:
                let what = type == S_IFIFO ? "a named pipe" : type == S_IFSOCK ? "a socket" : "a device"
                skipped.append((path, "not a regular file (\(what))"))
            }
        }
    }

    /// A skipped file's reason from the store's error: "binary file: …" for
    /// a NUL byte, "not UTF-8 text: …" for invalid UTF-8, else what failed.
    static func reason(_ error: StoreError) -> String {
        switch error {
        case .notText(_, let r) where r.contains("NUL"): return "binary file: \(r)"
        case .notText(_, let r) where r.contains("UTF-8"): return "not UTF-8 text: \(r)"
        case .notText(_, let r): return r
        case .io(_, _, let r): return "cannot read: \(r)"
        default: return "\(error)"
        }
    }

    /// A folder listing failure: the system's reason.
    struct ListingError: Error { var reason: String }

    /// The names in folder `path` but "." and "..", in byte order. Throws
    /// `ListingError` when the folder cannot be opened or read.
    static func entries(_ path: String) throws(ListingError) -> [[UInt8]] {
        guard let dir = opendir(path) else { throw ListingError(reason: FileIO.reason()) }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw ListingError(reason: FileIO.reason()) }
                break
            }
            let name: [UInt8] = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }
}
