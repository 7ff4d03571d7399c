import ArgumentParser
import Foundation
import WeavePeer
import WeaveSession

/// `weave invite FILE`: prints a command that joins FILE's host.
struct Invite: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the command that joins FILE's host (an invitation).",
        discussion: """
        Without --new: the standing invitation that weave host prints for FILE (made if there \
        is none). With --new: a fresh invitation, for example one per person, or one that \
        expires, so it can be revoked alone (weave revoke). Invitations are kept, 0600, in the \
        config directory ($WEAVE_CONFIG_DIR, $XDG_CONFIG_HOME/weave or ~/.config/weave), never \
        beside FILE.
        """)

    @Argument(help: "The document the invitation admits to.")
    var file: String

    @Flag(help: "Make a new invitation instead of printing the standing one.")
    var new = false

    @Flag(help: "The joiner may watch and time-travel but not edit.")
    var readOnly = false

    @Option(help: "With --new: the invitation expires after this long (90s, 30m, 2h, 7d).")
    var expires: String?

    @Option(help: "With --new: a note to tell invitations apart in weave invitations (for example who it is for).")
    var label: String?

    @Option(help: "HOST:PORT to put in the join command (default: where FILE's last host listened).")
    var address: String?

    mutating func validate() throws {
        if let expires, DurationText.parse(expires) == nil { throw ValidationError("--expires: expected a duration such as 90s, 30m, 2h or 7d (got \(expires))") }
        if (expires != nil || label != nil) && !new { throw ValidationError("--expires and --label need --new (the standing invitation never expires)") }
    }

    func run() throws {
        let h = try HostInvitations(document: file)
        let invitation: Invitation
        let known: String?
        do {
            known = try h.store.load().address
            if new {
                invitation = try h.store.issue(for: h.identity, readOnly: readOnly, validFor: expires.flatMap(DurationText.parse),
                                               label: label ?? "")
            } else {
                invitation = try h.store.standing(for: h.identity, readOnly: readOnly)
            }
        } catch {
            throw ValidationFailure("cannot keep the invitations in \(h.store.path): \(error)")
        }
        var command = HostInvitations.joinCommand(address: address ?? known ?? "127.0.0.1:7070", invitation)
        // A shared folder is joined into a folder: the command names one (ending in /).
        if WorkspaceStart.isFolder(file) { command += " \((file.split(separator: "/").last.map(String.init) ?? "shared"))/" }
        print(command)
        if address == nil && known == nil {
            FileHandle.standardError.write(Data("(no host has listened for \(file) yet: 127.0.0.1:7070 is weave host's default)\n".utf8))
        }
    }
}

/// `weave invitations FILE`: the invitations issued for FILE.
struct Invitations: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List FILE's invitations: ID, access, status, created, expiry, label.")

    @Argument(help: "The document.")
    var file: String

    func run() throws {
        let h = try HostInvitations(document: file)
        let c: InvitationStore.Contents
        do { c = try h.store.load() } catch { throw ValidationFailure("\(error)") }
        guard !c.records.isEmpty else {
            print("no invitations for \(file) yet (weave host or weave invite makes one)")
            return
        }
        let now = UInt64(Date().timeIntervalSince1970)
        print("ID                KIND        ACCESS     STATUS    CREATED           EXPIRES           LABEL")
        for r in c.records {
            let status: String
            if r.invitation.hostFingerprint != h.identity.fingerprint { status = "other key" }
            else if r.revoked { status = "revoked" }
            else if let e = r.invitation.expires, e <= now { status = "expired" }
            else { status = "active" }
            let cols = [
                r.idHex.padding(toLength: 16, withPad: " ", startingAt: 0),
                (r.standing ? "standing" : "extra").padding(toLength: 10, withPad: " ", startingAt: 0),
                (r.invitation.readOnly ? "read-only" : "edit").padding(toLength: 9, withPad: " ", startingAt: 0),
                status.padding(toLength: 8, withPad: " ", startingAt: 0),
                Invitations.date(r.created),
                r.invitation.expires.map(Invitations.date) ?? "never           ",
                r.label,
            ]
            print(cols.joined(separator: "  "))
        }
    }

    static func date(_ t: UInt64) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t))) + "Z"
    }
}

/// `weave revoke FILE ID…`: refuses those invitations from now on.
struct Revoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Revoke invitations to FILE (a running host closes their links within a second).",
        discussion: """
        ID is an invitation's ID as weave invitations lists it (4 hex digits or more), or the \
        whole wv1-… token. A revoked standing invitation is replaced by a new one the next time \
        weave host runs.
        """)

    @Argument(help: "The document.")
    var file: String

    @Argument(help: "Invitation IDs (or tokens) to revoke.")
    var ids: [String] = []

    @Flag(help: "Revoke every invitation to FILE.")
    var all = false

    mutating func validate() throws {
        if ids.isEmpty && !all { throw ValidationError("name the invitations to revoke (weave invitations lists them), or --all") }
        if !ids.isEmpty && all { throw ValidationError("give IDs or --all, not both") }
    }

    func run() throws {
        let h = try HostInvitations(document: file)
        do {
            if all {
                let n = try h.store.revokeAll()
                print("revoked \(n) active invitation\(n == 1 ? "" : "s") to \(file)")
            } else {
                for r in try h.store.revoke(ids) {
                    print("revoked \(r.idHex)\(r.label.isEmpty ? "" : " (\(r.label))")")
                }
            }
        } catch {
            throw ValidationFailure("\(error)")
        }
    }
}
