import Testing
@testable import WeaveSession

/// Issue 28, defect 6: with `$USER` unset (containers, cron, `env -i`) every
/// session was called "me". The name comes from the setting, `$USER`,
/// `$LOGNAME`, the account, the host, in that order.
@Suite struct AuthorNameTests {
    func name(_ env: [String: String], account: String? = nil, host: String? = nil, uid: UInt32 = 1000) -> String {
        AuthorName.resolve(environment: { env[$0] }, accountName: { account }, hostName: { host }, uid: uid)
    }

    @Test func theOrderOfSources() {
        let all = ["WEAVE_NAME": "ada", "USER": "bob", "LOGNAME": "cy"]
        #expect(name(all, account: "dee", host: "box") == "ada")
        #expect(name(all.filter { $0.key != "WEAVE_NAME" }, account: "dee", host: "box") == "bob")
        #expect(name(["LOGNAME": "cy"], account: "dee", host: "box") == "cy")
        #expect(name([:], account: "dee", host: "box") == "dee")
        #expect(name([:], account: nil, host: "box") == "box")
    }

    @Test func emptyAndControlValuesAreSkipped() {
        #expect(name(["WEAVE_NAME": "", "USER": "  ", "LOGNAME": "a\u{1b}b"], account: "dee") == "dee")
    }

    @Test func neverOneLiteralForEveryone() {
        let a = name([:], uid: 1000), b = name([:], uid: 1001)
        #expect(a != b)
        #expect(a != "me" && b != "me")
    }

    /// The real process: an environment without USER still yields a name (the account's, here).
    @Test func thisProcessHasAName() {
        let n = AuthorName.current
        #expect(!n.isEmpty && n != "me")
    }
}
