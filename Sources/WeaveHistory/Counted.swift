/// "1 line", "3 lines", "0 edits": a count with its noun, for every message a
/// user reads. `plural` defaults to the noun with an "s".
public func counted(_ n: Int, _ noun: String, plural: String? = nil) -> String {
    "\(n) \(n == 1 ? noun : plural ?? noun + "s")"
}
