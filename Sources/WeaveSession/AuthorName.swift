#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The name a session signs its edits with when `--name` is not given.
///
/// Taken from, in order: `$WEAVE_NAME` (the setting), `$USER`, `$LOGNAME`,
/// the account's name (`getpwuid`), the machine's host name. Containers, cron
/// and `env -i` start programs without `$USER`; before, every such session was
/// called "me", so status, log and blame could not tell authors apart. The
/// last resort is never one literal for all: it is `user-` and the account's
/// numeric ID, which differs between accounts.
public enum AuthorName {
    /// The environment variable that sets the name (before `$USER`).
    public static let variable = "WEAVE_NAME"

    /// The name from `environment`, the account database and the host name,
    /// as described above. Pure given its inputs: O(1).
    public static func resolve(environment: (String) -> String?,
                               accountName: () -> String?,
                               hostName: () -> String?,
                               uid: UInt32) -> String {
        for key in [variable, "USER", "LOGNAME"] {
            if let v = environment(key), let name = usable(v) { return name }
        }
        if let a = accountName(), let name = usable(a) { return name }
        if let h = hostName(), let name = usable(h) { return name }
        return "user-\(uid)"
    }

    /// The name of this process's user (see `resolve`).
    public static var current: String {
        resolve(
            environment: { key in getenv(key).flatMap { String(validatingCString: $0) } },
            accountName: {
                guard let pw = getpwuid(getuid()), let n = pw.pointee.pw_name else { return nil }
                return String(validatingCString: n)
            },
            hostName: {
                var buffer = [CChar](repeating: 0, count: 256)
                guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
                return buffer.withUnsafeBufferPointer { String(validatingCString: $0.baseAddress!) }
            },
            uid: UInt32(getuid()))
    }

    /// `value` trimmed, when it is a name worth showing (not empty, no control characters).
    static func usable(_ value: String) -> String? {
        let t = value.trimmingCharacters(in: [" ", "\t"])
        guard !t.isEmpty, !t.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return nil }
        return t
    }
}
