#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser

/// Checks of the command line's numbers and addresses, made before anything
/// is created: every refusal names the option and the range it takes.
///
/// Numeric options are declared with `parsing: .unconditional`, so that
/// `--port -1` reads -1 as the value (and is refused here by its range)
/// instead of as an unknown flag ("Missing value").
enum NumericOption {
    /// The longest --timeout: a day.
    static let maxTimeout: Double = 86_400
    /// The longest --gap: a year.
    static let maxGap: Double = 366 * 86_400

    static func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(name) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
        }
    }

    /// A number of seconds: finite, more than `above` (or at least `atLeast`), at most `atMost`.
    static func checkSeconds(_ name: String, _ value: Double, above: Double? = nil, atLeast: Double? = nil, atMost: Double) throws {
        let low = above.map { "more than \(format($0))" } ?? "at least \(format(atLeast ?? 0))"
        let range = "\(low) and at most \(format(atMost)) seconds"
        guard value.isFinite else { throw ValidationError("\(name) must be a number of seconds, \(range) (got \(value))") }
        if let above, !(value > above) { throw ValidationError("\(name) must be \(range) (got \(format(value)))") }
        if let atLeast, !(value >= atLeast) { throw ValidationError("\(name) must be \(range) (got \(format(value)))") }
        if value > atMost { throw ValidationError("\(name) must be \(range) (got \(format(value)))") }
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }

    /// Why `host` cannot be joined, when its name does not resolve (said at
    /// once instead of after the join's timeout); nil when it resolves.
    static func unresolvable(_ host: String) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &result)
        if let result { freeaddrinfo(result) }
        guard rc != 0 else { return nil }
        return "unknown host \(host): \(String(cString: gai_strerror(rc)))"
    }

    /// Why `bind:port` cannot be listened on (another program has it), or nil.
    /// Port 0 (any free port) is never busy.
    static func portInUse(bind: String, port: Int) -> String? {
        guard port != 0 else { return nil }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(bind, String(port), &hints, &result) == 0, let info = result else { return nil }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 else { return nil }
        return "cannot listen on \(bind):\(port): \(String(cString: strerror(errno))) (another program uses it: another --port, or --port 0 for any)"
    }
}
