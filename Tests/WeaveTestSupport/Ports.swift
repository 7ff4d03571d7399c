import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// TCP ports for tests that must name one before the process that listens on
/// it starts (the example scripts take a PORT; `weave invite --address` needs it).
public enum TestPorts {
    private static let handedOut = NSLock()
    nonisolated(unsafe) private static var used: Set<Int> = []

    /// A loopback port that is free now, not handed to another test of this
    /// process, and below Linux's ephemeral range (32768–60999), where an
    /// outgoing connection's source port could take it before the listener binds.
    public static func free() -> Int {
        handedOut.lock()
        defer { handedOut.unlock() }
        for _ in 0 ..< 500 {
            let port = Int.random(in: 20000 ..< 32768)
            if !used.contains(port), isFree(port) {
                used.insert(port)
                return port
            }
        }
        let port = Int.random(in: 20000 ..< 32768)
        used.insert(port)
        return port
    }

    /// Whether 127.0.0.1:`port` can be bound now (as `weave host` binds it, with SO_REUSEADDR).
    public static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0
    }

    /// The IPv4 socket address 127.0.0.1:`port`.
    public static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
