import WeaveCore
import WeaveHistory
#if canImport(Glibc)
import Glibc
#endif

/// What `StoredDocument` does with files apart from an open document: the
/// clock, reading a text file (kind, size and encoding checked), turning a
/// changed text into operations, and `weave recover`.
extension StoredDocument {
    public static func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// A file's permission bits, or 0644 when it does not exist.
    static func mode(of path: String) -> mode_t {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : 0o644
    }

    /// FILE's text as the document holds it (`\r\n` → `\n` for a CRLF file)
    /// and FILE's line ending; nil bytes when FILE is missing. See `readTextBytes`.
    static func readDocumentBytes(_ path: String, fs: FileSystem) throws -> ([UInt8]?, LineEnding) {
        guard let raw = try readTextBytes(path, fs: fs) else { return (nil, .lf) }
        let ending = LineEnding.detect(utf8: raw)
        return (ending.documentBytes(fromFile: raw), ending)
    }

    /// Reads FILE as text: nil if missing; throws `notText` for a directory,
    /// NUL bytes or invalid UTF-8, and `io` when it cannot be read.
    public static func readText(_ path: String, fs: FileSystem = PosixFileSystem.shared) throws -> String? {
        try readTextBytes(path, fs: fs).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `readText`'s checks, returning FILE's bytes (valid UTF-8 with no NUL)
    /// rather than a `String` of them. O(size), one copy of the file.
    public static func readTextBytes(_ path: String, fs: FileSystem = PosixFileSystem.shared) throws -> [UInt8]? {
        guard !path.isEmpty else { throw StoreError.notText(path: "''", reason: "an empty name is not a file name") }
        var st = stat()
        if stat(path, &st) == 0 {
            // Its kind and size first, and a look at its start: a huge or binary
            // file is refused without being read whole.
            switch st.st_mode & S_IFMT {
            case S_IFDIR: throw StoreError.notText(path: path, reason: "it is a directory")
            case S_IFREG: break
            default: throw StoreError.notText(path: path, reason: "it is not a regular file (a device, a pipe or a socket)")
            }
            let limit = maxFileBytes
            if Int64(st.st_size) > limit {
                throw StoreError.notText(path: path, reason: "it is \(megabytes(Int64(st.st_size))) MB, and Weave opens files of up to "
                    + "\(megabytes(limit)) MB (the setting WEAVE_MAX_FILE_MB changes the limit)")
            }
            if let start = try FileIO.readPrefix(path, count: 1 << 16), let nul = start.firstIndex(of: 0) {
                throw StoreError.notText(path: path, reason: "it contains a NUL byte at offset \(nul) (a binary file?)")
            }
        }
        guard let bytes = try fs.readAll(path) else { return nil }
        let nul = bytes.withUnsafeBytes { raw in
            raw.isEmpty ? nil : memchr(raw.baseAddress!, 0, raw.count).map { raw.baseAddress!.distance(to: UnsafeRawPointer($0)) }
        }
        if let nul {
            throw StoreError.notText(path: path, reason: "it contains a NUL byte at offset \(nul) (a binary file?)")
        }
        do { try ScalarArray.validateUTF8(bytes) } catch {
            let at: Int
            if case .invalidUTF8(let o) = error { at = o } else { at = 0 }
            throw StoreError.notText(path: path, reason: "it is not valid UTF-8 (at byte \(at))")
        }
        return bytes
    }

    /// The largest FILE opened, in bytes: `$WEAVE_MAX_FILE_MB` megabytes (a
    /// whole number above 0), else 256 MB.
    public static var maxFileBytes: Int64 {
        if let v = getenv("WEAVE_MAX_FILE_MB"), let mb = Int64(String(cString: v)), mb > 0, mb < 1 << 40 { return mb << 20 }
        return 256 << 20
    }

    static func megabytes(_ bytes: Int64) -> String {
        let mb = Double(bytes) / Double(1 << 20)
        return mb >= 10 ? String(Int64(mb.rounded())) : String(Double(Int(mb * 10)) / 10)
    }

    /// Edits `doc` into `text` with at most one delete and one insert (the span
    /// between the common prefix and suffix) and returns their operations.
    public static func diff(from doc: inout RGA, to text: String) -> [Operation] {
        let old = doc.scalars, new = Array(text.unicodeScalars)
        var prefix = 0
        while prefix < old.count && prefix < new.count && old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix && suffix < new.count - prefix
            && old[old.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        var ops: [Operation] = []
        if let d = doc.delete(at: prefix, length: old.count - prefix - suffix) { ops.append(d) }
        if let i = doc.insert(Array(new[prefix ..< new.count - suffix]), at: prefix) { ops.append(i) }
        return ops
    }
}

/// `weave recover`: rebuilds a damaged or orphaned history.
public enum Recovery {
    public struct Report: Sendable {
        public var keptEdits: Int
        public var droppedBytes: Int
        public var damagedCopy: String?
        public var restoredFile: Bool
        public var importedDiskChange: Bool
    }

    /// Keeps the valid prefix of FILE's sidecar in a new sidecar (the old one is
    /// renamed to `….damaged`), writes FILE from the history if it is missing,
    /// and keeps FILE's own text (as a "disk" edit) if it differs.
    public static func recover(file: String, fs: FileSystem = PosixFileSystem.shared) throws -> Report {
        let sidecar = OpLog.sidecarPath(for: file)
        guard let bytes = try fs.readAll(sidecar) else {
            throw StoreError.io(path: sidecar, action: "recover", reason: "No such file or directory")
        }
        // Not while another process writes it (a file open in weave edit or host).
        let held = try fs.openForAppend(sidecar, createNew: false, action: "open history")
        defer { fs.close(held) }
        try fs.lockForWriting(held, path: sidecar)
        var loaded = LoadedLog()
        var kept = OpLogFormat.headerSize
        if bytes.count >= OpLogFormat.headerSize, Array(bytes[0 ..< 8]) == OpLogFormat.magic {
            // Take whole records one by one until the first that is bad or does not decode.
            // Take whole records one by one, each checked against the document the
            // ones before it made (O(history) in all): stop at the first record that
            // is bad, does not decode, or holds an operation that does not apply.
            var offset = OpLogFormat.headerSize
            var lastTime: Int64 = 0
            var check = RGA(replica: ReplicaID(0))
            records: while offset < bytes.count, case .valid(let payload, let next) = OpLog.recordAt(bytes, offset) {
                guard let record = try? OpLog.decodeRecord(bytes, payload) else { break }
                // The record's operations must apply to the document the ones
                // before made (a snapshot replaces everything: checked afresh).
                // `check` is changed in place: when a record fails, the loop
                // ends and it is not used again.
                switch record {
                case .snapshot(let log, _, _, _):
                    check = RGA(replica: ReplicaID(0))
                    guard (try? check.receive(contentsOf: log)) != nil else { break records }
                case .edit(_, let log, _):
                    guard (try? check.receive(contentsOf: log)) != nil else { break records }
                case .author, .textMark, .state:
                    break
                }
                OpLog.absorb(record, into: &loaded, lastTime: &lastTime)
                offset = next
            }
            kept = offset
        } else {
            throw StoreError.notAWeaveLog(path: sidecar)
        }
        // The damaged file is kept whole beside it (never over an older copy).
        var damaged = sidecar + ".damaged"
        var n = 2
        while fs.exists(damaged) { damaged = sidecar + ".damaged-\(n)"; n += 1 }
        try fs.rename(sidecar, damaged)
        let doc = try loaded.document(as: .random())
        var report = Report(keptEdits: loaded.history.edits.count, droppedBytes: bytes.count - kept, damagedCopy: damaged,
                            restoredFile: false, importedDiskChange: false)
        var mark = loaded.textMark
        if !fs.exists(file) {
            try fs.writeAtomically(file, Array(doc.text.utf8))
            mark = TextMark(text: doc.text, edits: loaded.history.edits.count)
            report.restoredFile = true
        }
        try OpLog.write(path: sidecar, log: loaded.log, history: loaded.history, textMark: mark,
                        state: StateSnapshot(of: doc, history: loaded.history), fs: fs)
        // Opening reconciles FILE with the history (an outside change becomes a "disk" edit).
        let opened = try StoredDocument(file: file, author: "recover", fs: fs)
        report.importedDiskChange = opened.messages.contains { $0.contains("changed outside") }
        return report
    }
}
