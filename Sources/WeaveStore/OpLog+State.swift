import WeaveCore

extension OpLog {
    /// The document's latest state read from its history file without
    /// decoding the log: the last state record, when it is current. Nil —
    /// read the log instead (`load`) — when the file has no state record, when
    /// an edit or snapshot record follows it (an old version), when any record
    /// is not whole and valid (a torn tail or damage: `load` says which), when
    /// the header is not a readable Weave history, or when the state does not
    /// decode or fails its checks (`StateSnapshot.decode`). Never throws for
    /// what the file holds; throws `StoreError.io` when it cannot be read.
    ///
    /// Cost: reading the file and checking every record's CRC-32C (a few ms
    /// for a megabyte), then inflating the state's text: O(file + text), no
    /// operation decoded or applied. Takes no lock (as `load`).
    public static func currentState(path: String, fs: FileSystem = PosixFileSystem.shared) throws -> StateSnapshot? {
        guard let bytes = try fs.readAll(path) else {
            throw StoreError.io(path: path, action: "read", reason: "No such file or directory")
        }
        return currentState(in: bytes)
    }

    /// `currentState(path:)` of a whole history file's bytes.
    static func currentState(in bytes: [UInt8]) -> StateSnapshot? {
        guard bytes.count >= OpLogFormat.headerSize, bytes[0 ..< 8].elementsEqual(OpLogFormat.magic) else { return nil }
        var head = ByteReader(bytes, range: 8 ..< 16, base: 8)
        guard let version = try? head.u32le("version"), OpLogFormat.readable.contains(version) else { return nil }
        var offset = OpLogFormat.headerSize
        var last: Range<Int>?
        while offset < bytes.count {
            guard case .valid(let payload, let next) = recordAt(bytes, offset) else { return nil }
            switch OpLogFormat.RecordType(rawValue: bytes[payload.lowerBound]) {
            case .state: last = payload
            case .edit, .snapshot: last = nil
            case .author, .textMark: break
            case nil: return nil
            }
            offset = next
        }
        guard let last else { return nil }
        var r = ByteReader(bytes, range: last.lowerBound + 1 ..< last.upperBound, base: last.lowerBound + 1)
        return try? StateSnapshot.decode(&r)
    }
}
