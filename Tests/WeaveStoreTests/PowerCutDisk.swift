import WeaveStore

/// An in-memory file system that forgets, on a simulated power cut, everything
/// not made durable (after SQLite's crash-simulating `test6.c`, much smaller):
///
/// - a file's bytes are durable only up to its last `sync`;
/// - a name (a create, a rename, a remove) is durable only once its directory
///   was synced with `syncDirectory`.
///
/// `powerCut()` throws away the rest, as a machine losing power would, and the
/// store then opens what is left. Not thread-safe; one test at a time.
///
/// Failures can be injected (`failNextAppend`, `failNextSync`,
/// `failNextTruncate`), as a full disk or a dying one would make them:
///
/// - an append that fails part-way has written its first bytes (they stay in
///   the file, not durable) and then throws (ENOSPC, EIO);
/// - a failed sync makes nothing durable, and the bytes it should have written
///   are lost for good, as Linux drops the dirty pages of a failed writeback: a
///   later sync that succeeds writes zeros in their place, unless they were
///   cut off (truncate) before it.
final class PowerCutFileSystem: FileSystem {
    /// One file's content: what the system holds now, and what a power cut keeps.
    final class Node {
        var current: [UInt8] = []
        var durable: [UInt8] = []
        var version = 0
        /// Bytes a failed sync lost: a later sync makes zeros of them.
        var lost: Range<Int>?
        init() {}
    }

    private(set) var names: [String: Node] = [:]
    private var durableNames: [String: Node] = [:]
    private var handles: [Int32: (node: Node, path: String)] = [:]
    private var nextHandle: Int32 = 3
    /// Calls of `sync`, for the tests to see that the store does sync.
    private(set) var syncs = 0

    /// The system's reason for an injected failure.
    static let noSpace = "No space left on device"
    static let ioError = "Input/output error"

    /// The next `append` writes only its first `after` bytes (at most all of
    /// them), then fails with `reason`.
    var failNextAppend: (after: Int, reason: String)?
    /// The next `sync` fails with this reason.
    var failNextSync: String?
    /// The next `truncate` fails with this reason.
    var failNextTruncate: String?
    /// Injected failures that happened.
    private(set) var failures = 0

    /// Everything not synced is lost; open handles die with the machine.
    func powerCut() {
        names = durableNames
        var seen = Set<ObjectIdentifier>()
        for n in names.values where seen.insert(ObjectIdentifier(n)).inserted {
            n.current = n.durable
            n.lost = nil
            n.version += 1
        }
        handles.removeAll()
    }

    /// Puts bytes in place as already durable (a file that existed before).
    func install(_ path: String, _ bytes: [UInt8]) {
        let n = Node()
        n.current = bytes
        n.durable = bytes
        names[path] = n
        durableNames[path] = n
    }

    func contents(_ path: String) -> [UInt8]? { names[path]?.current }

    private func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    // MARK: FileSystem

    func readAll(_ path: String) throws -> [UInt8]? { names[path]?.current }
    func exists(_ path: String) -> Bool { names[path] != nil }
    func isEmptyFile(_ path: String) -> Bool { names[path]?.current.isEmpty ?? false }

    func openForAppend(_ path: String, createNew: Bool, action: String) throws -> Int32 {
        let node: Node
        if let existing = names[path] {
            if createNew { throw StoreError.io(path: path, action: action, reason: "File exists") }
            node = existing
        } else {
            if !createNew { throw StoreError.io(path: path, action: action, reason: "No such file or directory") }
            node = Node()
            names[path] = node
        }
        let h = nextHandle
        nextHandle += 1
        handles[h] = (node, path)
        return h
    }

    private func node(_ handle: Int32, _ path: String) throws -> Node {
        guard let n = handles[handle]?.node else { throw StoreError.io(path: path, action: "write", reason: "Bad file descriptor") }
        return n
    }

    func append(_ handle: Int32, _ bytes: [UInt8], path: String) throws {
        let n = try node(handle, path)
        if let fail = failNextAppend {
            failNextAppend = nil
            failures += 1
            n.current += bytes.prefix(max(0, fail.after))
            n.version += 1
            throw StoreError.io(path: path, action: "write", reason: fail.reason)
        }
        n.current += bytes
        n.version += 1
    }

    func sync(_ handle: Int32, path: String) throws {
        let n = try node(handle, path)
        if let reason = failNextSync {
            failNextSync = nil
            failures += 1
            let from = min(n.lost?.lowerBound ?? n.durable.count, n.durable.count)
            if from < n.current.count { n.lost = from ..< max(n.current.count, n.lost?.upperBound ?? 0) }
            throw StoreError.io(path: path, action: "sync", reason: reason)
        }
        n.durable = n.current
        if let lost = n.lost {
            for i in lost where i < n.durable.count { n.durable[i] = 0 }
            n.lost = nil
        }
        syncs += 1
    }

    func truncate(_ handle: Int32, to length: Int, path: String) throws {
        let n = try node(handle, path)
        if let reason = failNextTruncate {
            failNextTruncate = nil
            failures += 1
            throw StoreError.io(path: path, action: "cut back", reason: reason)
        }
        n.current = Array(n.current.prefix(length))
        if let lost = n.lost { n.lost = lost.lowerBound < length ? lost.lowerBound ..< min(lost.upperBound, length) : nil }
        n.version += 1
    }

    func close(_ handle: Int32) { handles[handle] = nil }

    func syncDirectory(of path: String) throws {
        let dir = directory(of: path)
        for (p, _) in durableNames where directory(of: p) == dir && names[p] == nil { durableNames[p] = nil }
        for (p, n) in names where directory(of: p) == dir { durableNames[p] = n }
    }

    func rename(_ from: String, _ to: String) throws {
        guard let n = names[from] else { throw StoreError.io(path: to, action: "replace", reason: "No such file or directory") }
        names[from] = nil
        names[to] = n
    }

    func remove(_ path: String) throws { names[path] = nil }

    func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
        let tmp = path + ".tmp"
        if names[tmp] != nil { try remove(tmp) }
        let h = try openForAppend(tmp, createNew: true, action: "create a temporary file for")
        try append(h, bytes, path: tmp)
        try sync(h, path: tmp)
        close(h)
        try rename(tmp, path)
        try syncDirectory(of: path)
    }

    func isCurrent(_ handle: Int32, path: String) -> Bool {
        guard let n = handles[handle]?.node, let named = names[path] else { return false }
        return n === named
    }

    func stamp(_ path: String) -> FileStamp? {
        guard let n = names[path] else { return nil }
        return FileStamp(device: 1, inode: UInt64(UInt(bitPattern: ObjectIdentifier(n).hashValue)), size: Int64(n.current.count),
                         modifiedNanoseconds: Int64(n.version))
    }
}
