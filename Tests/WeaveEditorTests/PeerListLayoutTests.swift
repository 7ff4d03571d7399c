import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveEditor

/// The peer list's columns (issue 33: at 80×24 the list cut the address to
/// `127.0.0.1:7`) and its model built from plain figures (issue 31), without
/// a hub or a session.
@Suite struct PeerListLayoutTests {
    static func row(_ name: String, state: String = "connected", address: String = "127.0.0.1:46476", file: String? = nil,
                    rtt: Double? = 2, heard: Double? = 1, queued: Int = 0, unacked: Int = 0, behind: Int = 0) -> PeerList.Row {
        .init(name: name, colour: .magenta, state: state, address: address, rttMilliseconds: rtt, lastHeardSeconds: heard,
              opsSent: 0, opsReceived: 0, opsQueued: queued, replica: ReplicaID(UInt64(name.unicodeScalars.count + 1)),
              file: file, unacknowledged: unacked, behind: behind)
    }

    /// At 80 columns a loopback address with its port fits whole beside every
    /// figure, a 13-letter name and the longest state ("handshaking").
    @Test func at80ColumnsALoopbackAddressFitsWithEveryFigure() {
        let list = PeerList(title: "bob (online)", rows: [
            Self.row("alice", address: "127.0.0.1:46476", rtt: 1.25, heard: 3.4, queued: 2, unacked: 7, behind: 12),
            Self.row("thirteen-char", state: "handshaking", address: "127.0.0.1:7070", rtt: nil, heard: nil),
        ], selected: 0)
        let lines = list.lines(width: 80).map(\.text)
        #expect(lines[0] == "Peers — bob (online)   (↑↓ Enter go to, f follow, Esc closes)")
        #expect(lines[1] == "name          state           rtt   heard queued unacked behind  address")
        #expect(lines[2] == "alice         connected    1.3 ms  3s ago      2       7     12  127.0.0.1:46476")
        #expect(lines[3] == "thirteen-char handshaking       —       —      0       0      0  127.0.0.1:7070")
        #expect(lines.count == 4, "nothing hidden: no detail line")
        #expect(list.layout(width: 80).dropped.isEmpty)
    }

    /// A workspace's file column narrows first, then the least useful figures
    /// give way; what the selected row lost is on the detail line.
    @Test func aNarrowScreenDropsTheLeastUsefulColumnsAndSaysThemOnTheDetailLine() {
        let list = PeerList(title: "me", rows: [
            Self.row("thirteen-char", file: "notes/2026/december/todo.txt", rtt: 12, heard: 75, queued: 3),
            Self.row("bob", file: nil),
        ], selected: 0)
        let at80 = list.layout(width: 80)
        #expect(at80.dropped == [.heard], "\(at80)")
        #expect(at80.placed(.file)?.width == PeerList.fileMinimum)
        let lines = list.lines(width: 80).map(\.text)
        #expect(lines[1] == "name          state     file         rtt queued unacked behind  address")
        #expect(lines[2] == "thirteen-char connected …odo.txt   12 ms      3       0      0  127.0.0.1:46476")
        #expect(lines[3] == "bob           connected —         2.0 ms      0       0      0  127.0.0.1:46476")
        #expect(lines[4...] == ["thirteen-char: 127.0.0.1:46476 · in notes/2026/december/todo.txt · heard 1m ago"])
        // At 40 the name, the state and the address; the rest on the detail lines.
        let at40 = list.lines(width: 40).map(\.text)
        #expect(at40[1...] == ["name          state      address",
                               "thirteen-char connected  127.0.0.1:46476",
                               "bob           connected  127.0.0.1:46476",
                               "thirteen-char: 127.0.0.1:46476",
                               "in notes/2026/december/todo.txt",
                               "heard 1m ago · queued 3 · unacked 0",
                               "rtt 12 ms · behind 0"])
        // Wide: everything, nothing on a detail line.
        #expect(list.layout(width: 200).dropped.isEmpty)
        #expect(list.lines(width: 200).count == 4)
    }

    /// An address longer than its column is never cut: it shows as "…", whole
    /// on the selected row's detail line.
    @Test func anAddressThatDoesNotFitIsAnEllipsisAndWholeOnTheDetailLine() throws {
        let long = "a-very-long-host-name.example.org:46476"
        let list = PeerList(title: "me", rows: [Self.row("alice", address: long), Self.row("bob")], selected: 0)
        let lines = list.lines(width: 60).map(\.text)
        try #require(lines.count == 6, "the title, the labels, 2 rows and 2 detail lines: \(lines)")
        #expect(lines[2].hasSuffix("  …"), "\(lines[2])")
        #expect(lines[3].hasSuffix("127.0.0.1:46476"))
        // The figures that gave way for the 22 cells of address follow it.
        #expect(lines[4...] == ["alice: " + long, "heard 1s ago · queued 0 · unacked 0"])
        #expect(lines.allSatisfy { PeerList.width($0) <= 60 })
    }

    /// The model from plain figures: a link not yet open is named by its
    /// address, each peer in its colour on this screen (else its own), and
    /// relayed peers after the links with no figures, "via" the linked peers.
    @Test func theListIsBuiltFromPlainFiguresAndRelayedPresences() {
        let ann = ReplicaID(0xA), ben = ReplicaID(0xB), cy = ReplicaID(0xC)
        let list = PeerList(
            title: "me (online)",
            links: [.init(peer: .init(name: "ann", replica: ann, colour: 2), address: "127.0.0.1:5000", state: "connected",
                          rttMilliseconds: 1.5, lastHeardSeconds: 2, opsSent: 4, opsReceived: 5, queued: 1, unacknowledged: 2, behind: 3,
                          file: "a.txt"),
                    .init(peer: .init(name: "ben", replica: ben, colour: 3), address: "127.0.0.1:5001", state: "connected"),
                    .init(peer: nil, address: "127.0.0.1:7070", state: "connecting")],
            relayed: [.init(name: "cy", replica: cy, colour: 4, file: "b.txt")],
            through: ["ann", "ben"], colours: [ann: .green],
            footer: PeerList.footer(joinCommand: "weave join X", refusal: nil))
        #expect(list.rows.map(\.name) == ["ann", "ben", "(127.0.0.1:7070)", "cy"])
        #expect(list.rows.map(\.colour) == [.green, Grid.Colour.author(3), Grid.Colour.author(0), Grid.Colour.author(4)])
        #expect(list.rows[0] == PeerList.Row(name: "ann", colour: .green, state: "connected", address: "127.0.0.1:5000",
                                             rttMilliseconds: 1.5, lastHeardSeconds: 2, opsSent: 4, opsReceived: 5, opsQueued: 1,
                                             replica: ann, file: "a.txt", unacknowledged: 2, behind: 3))
        #expect(list.rows[2].replica == nil)
        #expect(list.rows[3].state == "relayed" && list.rows[3].address == "via ann, ben" && list.rows[3].file == "b.txt")
        #expect(list.rows[3].rttMilliseconds == nil && list.rows[3].opsQueued == 0)
        #expect(list.footer == ["Others join with (Ctrl-C copies it; weave invite FILE prints it on one line):", "weave join X"])
        let alone = PeerList(title: "me", links: [], relayed: [.init(name: "cy", replica: cy, colour: 4)], through: [], colours: [:])
        #expect(alone.rows[0].address == "", "no linked peer to name")
        #expect(PeerList.footer(joinCommand: "weave join X", refusal: "revoked") ==
                ["The join command printed at start no longer works (revoked):", "weave invite FILE prints one that does."])
        #expect(PeerList.footer(joinCommand: nil, refusal: nil).isEmpty)
    }

    /// More rows than the screen holds: a window of them, said on the title,
    /// always holding the selected row; the footer gives way to rows first.
    @Test func moreRowsThanFitShowAWindowHoldingTheSelection() {
        var list = PeerList(title: "me", rows: (0 ..< 20).map { Self.row("peer\($0)", address: "127.0.0.1:\(5000 + $0)") },
                            footer: ["Others join with:", "weave join 127.0.0.1:7070"], selected: 0)
        var s = list.screen(width: 80, height: 10)
        // 10 text rows: the title, the labels, the footer's 3 lines, 5 rows.
        #expect(s.rowsShown == 5 && s.top == 0)
        #expect(s.lines[0].text.hasPrefix("Peers — me · rows 1–5 of 20"))
        #expect(s.lines[2].text.hasPrefix("peer0 ") && s.lines[2].style == .selectedRow)
        #expect(s.lines[7...].map(\.text) == ["", "Others join with:", "weave join 127.0.0.1:7070"])
        #expect(s.row(atY: 1) == nil && s.row(atY: 2) == 0 && s.row(atY: 6) == 4 && s.row(atY: 7) == nil)
        list.selected = 15
        s = list.screen(width: 80, height: 10)
        #expect(s.top == 11 && s.lines[6].text.hasPrefix("peer15 ") && s.lines[6].style == .selectedRow)
        list.top = 30  // past the end: the last rows
        list.selected = 19
        s = list.screen(width: 80, height: 10)
        #expect(s.top == 15 && s.lines[0].text.contains("rows 16–20 of 20"))
        // Fewer lines than three rows and the footer: the footer gives way (cut at the screen's end).
        s = list.screen(width: 80, height: 6)
        #expect(s.rowsShown == 3 && s.lines[5].text == "")
        // Enough room: every row and the footer after a blank line.
        let all = list.screen(width: 80, height: 40)
        #expect(all.rowsShown == 20 && all.top == 0)
        #expect(all.lines.suffix(3).map(\.text) == ["", "Others join with:", "weave join 127.0.0.1:7070"])
    }

    // MARK: The property

    static let names = ["alice", "bob", "zoë", "日本語の名前", "thirteen-char", "a-name-longer-than-sixteen", "(127.0.0.1:5000)", "x"]
    static let states = ["connected", "connecting", "handshaking", "offline", "stopped", "relayed"]

    static func address(_ g: inout SeededRandom) -> String {
        let port = g.int(1 ... 65535)
        switch g.int(0 ..< 8) {
        case 0, 1, 2: return "127.0.0.1:\(port)"
        case 3: return "[::1]:\(port)"
        case 4: return "192.168.100.200:\(port)"
        case 5: return "via " + (0 ..< g.int(1 ... 3)).map { _ in names[g.int(0 ..< names.count)] }.joined(separator: ", ")
        case 6: return ""
        default: return "host-\(g.int(0 ... 999)).example.org:\(port)"
        }
    }

    static func randomRow(_ g: inout SeededRandom, files: Bool) -> PeerList.Row {
        PeerList.Row(
            name: names[g.int(0 ..< names.count)], colour: .cyan, state: states[g.int(0 ..< states.count)], address: address(&g),
            rttMilliseconds: g.chance(0.3) ? nil : Double(g.int(0 ... 30000)) / 10,
            lastHeardSeconds: g.chance(0.3) ? nil : Double(g.int(0 ... 9000)),
            opsSent: 0, opsReceived: 0, opsQueued: g.chance(0.5) ? 0 : g.int(0 ... 200_000), replica: ReplicaID(UInt64(g.int(1 ... 1000))),
            file: files && g.chance(0.8) ? ["a.txt", "notes/todo.txt", "src/deeply/nested/folder/Module/File.swift"][g.int(0 ..< 3)] : nil,
            unacknowledged: g.chance(0.5) ? 0 : g.int(0 ... 2_000_000), behind: g.int(0 ... 99))
    }

    /// The `n` cells from cell `x` of `s`, padded with spaces past its end
    /// (a combining mark stays with its character).
    static func cells(_ s: String, from x: Int, count n: Int) -> String {
        var out = String.UnicodeScalarView(), at = 0, lastIn = false
        for u in s.unicodeScalars {
            let w = CharWidth.of(u)
            if w == 0 { if lastIn { out.append(u) }; continue }
            lastIn = at >= x && at < x + n
            if lastIn { out.append(u) }
            at += w
        }
        let text = String(out)
        return text + String(repeating: " ", count: max(0, n - PeerList.width(text)))
    }

    static func trimmed(_ s: String) -> String {
        String(s.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }

    /// Random lists at 40, 80, 120 and 200 columns: every line fits; the
    /// columns align (labels and cells start, or figures end, at the same
    /// cell on every line, a space before each); an address is whole or "…",
    /// never cut; a figure is never cut; the selected row's full address and
    /// every figure the table dropped are on screen; columns give way in
    /// `dropOrder`, more as the screen narrows; at 200 columns nothing does,
    /// and at 80 nothing does for names of at most 13 cells and addresses of
    /// at most 15 without files.
    @Test func randomListsFitAlignAndNeverCutAnAddress() {
        let base = TestSeed.pick(0x9EE7_0033)
        for i in 0 ..< 300 {
            let seed = base &+ UInt64(i)
            var g = SeededRandom(seed: seed)
            let rows = (0 ..< g.int(0 ... 12)).map { _ in Self.randomRow(&g, files: g.chance(0.3)) }
            let selected = rows.isEmpty ? nil : g.int(0 ..< rows.count)
            let list = PeerList(title: "me (online)", rows: rows, selected: selected)
            var droppedBefore: [PeerList.Column] = []
            for width in [200, 120, 80, 40] {
                let context = "seed \(seed), width \(width)"
                let lines = list.lines(width: width).map(\.text)
                let layout = list.layout(width: width)
                #expect(lines.allSatisfy { PeerList.width($0) <= width }, "\(context): a line is too wide\n\(lines.joined(separator: "\n"))")
                // Giving way in order, more as the screen narrows.
                #expect(layout.dropped == Array(PeerList.dropOrder.filter { layout.dropped.contains($0) }), "\(context)")
                #expect(Set(droppedBefore).isSubset(of: Set(layout.dropped)), "\(context): \(droppedBefore) then \(layout.dropped)")
                droppedBefore = layout.dropped
                if width == 200 { #expect(layout.dropped.isEmpty, "\(context): \(layout.dropped)") }
                if width == 80, rows.allSatisfy({ PeerList.width($0.name) <= 13 && $0.file == nil && PeerList.width($0.address) <= 15 }) {
                    #expect(layout.dropped.isEmpty && layout.placed(.address) != nil, "\(context): \(layout)")
                }
                #expect(layout.placed(.name) != nil, "\(context): the name never gives way")
                let table = [lines[1]] + lines[2 ..< 2 + rows.count]
                for p in layout.columns {
                    for (k, line) in table.enumerated() {
                        let cell = Self.cells(line, from: p.x, count: p.width)
                        if p.x > 0 { #expect(Self.cells(line, from: p.x - 1, count: 1) == " ", "\(context): no space before \(p.column)") }
                        let text = Self.trimmed(cell)
                        if text.isEmpty { continue }
                        if p.column.rightAligned {
                            #expect(cell.last != " ", "\(context): \(p.column) not right-aligned on line \(k): '\(cell)'")
                        } else {
                            #expect(cell.first != " ", "\(context): \(p.column) not left-aligned on line \(k): '\(cell)'")
                        }
                        guard k > 0 else { #expect(text == p.column.label, "\(context)"); continue }
                        let r = rows[k - 1]
                        switch p.column {
                        case .address:
                            #expect(text == r.address || text == "…", "\(context): address cut: '\(text)' of '\(r.address)'")
                        case .queued: #expect(text == String(r.opsQueued), "\(context)")
                        case .unacked: #expect(text == String(r.unacknowledged), "\(context)")
                        case .behind: #expect(text == String(r.behind), "\(context)")
                        case .rtt, .heard: #expect(text == PeerList.cell(p.column, r), "\(context)")
                        case .name: #expect(text == r.name || (text.hasSuffix("…") && r.name.hasPrefix(text.dropLast())), "\(context): '\(text)'")
                        default: break
                        }
                    }
                }
                // The selected row's whole address, and what the table dropped, are on screen.
                guard let s = selected else { continue }
                let r = rows[s]
                let rowLine = lines[2 + s]
                let detail = lines[(2 + rows.count)...].joined(separator: "\n")
                // An item wider than the screen is cut over lines by cells: whole when they are joined.
                let joined = lines[(2 + rows.count)...].joined()
                func onDetail(_ item: String) -> Bool { detail.contains(item) || PeerList.width(item) > width && joined.contains(item) }
                let inRow = layout.placed(.address).map { Self.trimmed(Self.cells(rowLine, from: $0.x, count: $0.width)) == r.address } ?? false
                if !r.address.isEmpty, PeerList.width(r.address) <= width {
                    #expect(inRow || detail.contains(r.address), "\(context): \(r.address) not on screen\n\(lines.joined(separator: "\n"))")
                }
                for c in layout.dropped where c != .file {
                    #expect(onDetail("\(c.label) \(PeerList.cell(c, r))"), "\(context): \(c) of the selected row\n\(detail)")
                }
                let fileHidden = layout.dropped.contains(.file)
                    || layout.placed(.file).map { PeerList.width(PeerList.cell(.file, r)) > $0.width } ?? false
                if fileHidden {
                    #expect(onDetail("in " + PeerList.cell(.file, r)), "\(context): the selected row's file\n\(detail)")
                }
            }
        }
    }
}
