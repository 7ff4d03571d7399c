import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// gzip and zlib through the system zlib.
public enum Gzip {
    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads a whole file, transparently gunzipping it if it is gzip (zlib's
    /// gzread passes plain files through). Throws on a missing or corrupt file.
    public static func readFile(_ path: String) throws -> [UInt8] {
        guard let f = gzopen(path, "rb") else {
            throw Error(description: String(cString: strerror(errno)))
        }
        defer { gzclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(f, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                var code: Int32 = 0
                let msg = gzerror(f, &code).map { String(cString: $0) } ?? "read error"
                throw Error(description: msg)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0 ..< Int(n)])
        }
        return out
    }

    /// zlib-compresses `bytes` at the highest level.
    public static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var bound = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(bound))
        let rc = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in
                compress2(o.baseAddress, &bound, i.baseAddress, uLong(bytes.count), 9)
            }
        }
        precondition(rc == Z_OK, "zlib compress2 failed with \(rc)")
        out.removeSubrange(Int(bound)...)
        return out
    }

    /// Inflates zlib data of known original size. Throws on corrupt input.
    public static func uncompress(_ bytes: [UInt8], originalSize: Int) throws -> [UInt8] {
        var size = uLong(originalSize)
        var out = [UInt8](repeating: 0, count: max(1, originalSize))
        let rc = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in
                CZlib.uncompress(o.baseAddress, &size, i.baseAddress, uLong(bytes.count))
            }
        }
        guard rc == Z_OK, Int(size) == originalSize else { throw Error(description: "corrupt compressed data (zlib code \(rc))") }
        if originalSize == 0 { return [] }
        return out
    }
}
