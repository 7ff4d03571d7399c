/// A joiner that proved it holds a valid invitation, waiting to be let in
/// (`PeerSecurity.requireApproval`; `PeerEvent.approvalRequested`).
public struct Newcomer: Hashable, Sendable {
    /// Answer with `PeerHub.answer(_:allow:)`.
    public var request: Int
    /// The name the joiner gave (unverified: anyone holding the invitation chooses it).
    public var name: String
    /// "host:port" it connects from.
    public var address: String
    /// Its certificate's fingerprint (hex): the same installation shows the same key.
    public var fingerprint: String
    /// The invitation it used (ID, hex) and whether it is read-only.
    public var invitation: String
    public var readOnly: Bool

    /// Its key, short, as the approval prompt shows it.
    public var shortKey: String { String(fingerprint.prefix(8)) }

    /// `name` with control and format characters (escape sequences a stranger
    /// could send to a terminal) shown as "?". For any peer name a screen shows.
    public static func printable(_ name: String) -> String {
        String(String.UnicodeScalarView(name.unicodeScalars.map {
            $0.properties.generalCategory == .control || $0.properties.generalCategory == .format ? "?" : $0
        }))
    }
}

/// Who decides whether an authenticated newcomer is let in (the hub, on its loop).
protocol AdmissionControl: AnyObject {
    /// nil: admitted at once. Otherwise a request number; `answer` is called
    /// later on the loop (at most once).
    func requestAdmission(_ newcomer: Newcomer, answer: @escaping (Bool) -> Void) -> Int?
    /// The newcomer left, or timed out, before an answer.
    func withdrawAdmission(_ request: Int)
}
