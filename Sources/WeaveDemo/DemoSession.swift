#if canImport(Glibc)
import Glibc
#endif
import WeaveCore
import WeaveEditor
import WeaveHistory
import WeavePeer
import WeaveSession
import WeaveTerminal

/// `weave demo`: two or three real replicas in one terminal, each an editor
/// with its own PeerHub, linked over loopback TCP, driven by a script (see
/// `DemoScript`). The viewer can pause (Space), step one action while paused
/// (n or →), take over a pane (Tab; Esc gives it back), and quit (q, or Ctrl-Q
/// while in a pane).
public final class DemoSession {
    struct Pane {
        var editor: Editor
        var history = History()
        let hub: PeerHub
        let inbox: PeerInbox
    }

    public let scenario: DemoScenario
    let names = ["A", "B", "C"]
    var panes: [Pane] = []
    let script: [DemoAction]
    var index = 0
    var due = 0.0
    var waitingSince: Double?
    var paused = false
    var focus: Int?
    /// The demo's help (F1 or Ctrl-G) is over the screen; any key closes it.
    var helpShown = false
    var banner = "" {
        didSet { if banner != oldValue { note("banner \(banner)") } }
    }
    var history: TimeTravelView?
    var playDue = 0.0
    /// Keys per second of the scripted typist.
    let speed: Double
    let terminal = Terminal()
    let loop: EventLoop
    /// Set when the script ends: what happened (for scripts and tests).
    public private(set) var converged = false
    /// Where each step is written with its time (`weave demo --log FILE`), or nil.
    let log: DemoLog?
    /// The monotonic time the session started, for the log's timestamps.
    let started = DemoSession.now()

    /// Three replicas (or two) linked over loopback TLS. `log`: a file to which
    /// every step of the script is appended with its time since the start, and
    /// each convergence check with every pane's text (tests read it: it holds
    /// the demo's state, not what the screen happened to show at one moment).
    public init(scenario: DemoScenario, peers: Int, speed: Double, log: String? = nil) throws {
        self.scenario = scenario
        self.speed = speed
        self.log = try log.map { try DemoLog(path: $0) }
        script = DemoScript.make(scenario, peers: peers)
        loop = EventLoop()
        // Every link runs over TLS 1.3 here too, started as weave host and
        // join start theirs (LoopbackStart): the first replica hosts with a
        // throwaway identity and one invitation, which the others join with.
        let docs = (0 ..< peers).map { RGA(replica: ReplicaID(UInt64(0xA0 + $0))) }
        let replicas = try LoopbackStart.replicas(docs, names: Array(names.prefix(peers)))
        for i in 0 ..< peers {
            var editor = Editor(fileName: "replica \(names[i])", document: docs[i])
            editor.peersStatus = "online"
            editor.keyHint = ""  // the editor's own hint (^S save, ^Q quit…) does not apply in a demo pane
            panes.append(Pane(editor: editor, hub: replicas[i].hub, inbox: replicas[i].inbox))
        }
        var authors: [ReplicaID: Author] = [:]
        for i in 0 ..< peers {
            let id = ReplicaID(UInt64(0xA0 + i))
            authors[id] = Author(replica: id, name: names[i], colour: i)
        }
        for i in panes.indices { panes[i].history.authors = authors }
        banner = "Weave demo: \(scenario.title)"
    }

    /// Appends one line to the log: seconds since the start, then `line`.
    func note(_ line: String) {
        guard let log else { return }
        let t = DemoSession.now() - started
        let ms = Int((t * 1000).rounded())
        log.write("\(ms / 1000).\(String(ms % 1000 + 1000).dropFirst()) \(line)")
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Runs until the viewer quits. The terminal is restored on return.
    public func run() throws {
        try terminal.start()
        defer {
            terminal.stop()
            for p in panes { _ = try? p.hub.shutdown() }
        }
        for i in panes.indices {
            loop.addSource(fd: panes[i].inbox.fileDescriptor) { [unowned self] in self.absorb(i) }
        }
        loop.onInput = { [unowned self] in
            for key in terminal.readKeys() { viewer(key) }
        }
        loop.timeout = { [unowned self] in
            // Nothing scheduled (paused, or the script has ended) and no replay
            // playing: wait for a key or a peer, using no CPU.
            let scriptWaiting = !paused && index < script.count
            let next = min(scriptWaiting ? due : .infinity, history?.scrubber.playing == true ? playDue : .infinity)
            if next == .infinity { return -1 }
            return Int32(max(0, min(1000, (next - DemoSession.now()) * 1000)))
        }
        loop.afterEvents = { [unowned self] in
            tick()
            terminal.draw(screen())
        }
        due = DemoSession.now() + 0.5
        note("start \(scenario.rawValue) peers=\(panes.count) speed=\(speed) actions=\(script.count)")
        terminal.draw(screen())
        loop.run()
        note("quit at action \(index)/\(script.count)")
    }

    func screen() -> Grid {
        let size = terminal.size
        let state = paused ? "  [paused: Space resumes, n steps]" : focus.map { "  [you are typing in \(names[$0]) — Esc gives it back]" } ?? ""
        var grid = DemoView.render(banner: banner + state, panes: panes.map(\.editor), history: history, focus: focus, size: size)
        if helpShown { DemoHelp.render(into: &grid) }
        return grid
    }

    /// Applies what pane `i`'s hub reported.
    func absorb(_ i: Int) {
        for event in panes[i].inbox.drain() {
            switch event {
            case .remoteOperations(let ops, _):
                do {
                    try panes[i].editor.receive(ops)
                    panes[i].history.edits.append(Edit(time: Int64(DemoSession.now() * 1000), ops: ops))
                } catch {
                    banner = "replica \(names[i]) refused operations: \(error)"
                }
            case .onlineChanged(let on):
                panes[i].editor.peersStatus = on ? "online" : "offline"
                note("pane \(names[i]) \(on ? "online" : "offline")")
            case .peerJoined(let info):
                note("pane \(names[i]) linked to \(info.name)")
            case .peerLeft(let info, let reason):
                note("pane \(names[i]) lost \(info.name): \(reason)")
            case .retrying(_, let delay, let reason):
                note("pane \(names[i]) retrying in \(delay.nanoseconds / 1_000_000) ms: \(reason)")
            default:
                break
            }
        }
    }

    /// A key from the viewer.
    func viewer(_ key: Key) {
        if helpShown {
            if case .resize = key {} else if !key.isMouse { helpShown = false; return }
        }
        if key == .function(1) || key == .ctrl("g") {
            helpShown = true  // the demo's keys, in a pane too (not the editor's help)
            return
        }
        if let f = focus {
            switch key {
            case .escape: focus = nil
            case .tab: focus = (f + 1) % panes.count
            case .ctrl("q"): loop.stop()
            default: perform(f, panes[f].editor.handle(key))
            }
            return
        }
        switch key {
        case .char("q"), .char("Q"), .ctrl("q"): loop.stop()
        case .char(" "): paused.toggle()
        case .char("n") where paused, .right where paused && history == nil:
            // Step: one action of the script (one keystroke while typing).
            if index < script.count { run(script[index], DemoSession.now()) }
        case .tab: focus = 0; paused = true
        case .resize(let w, let h): for i in panes.indices { _ = panes[i].editor.handle(.resize(width: w, height: h)) }
        default:
            if var h = history {
                switch key {
                case .left: h.scrubber.apply(.back)
                case .right: h.scrubber.apply(.forward)
                case .home: h.scrubber.apply(.start)
                case .end: h.scrubber.apply(.end)
                default: break
                }
                history = h
            }
        }
    }

    /// Carries out what a pane's editor asked for: operations go to its hub and history.
    func perform(_ i: Int, _ effects: [Effect]) {
        for e in effects {
            if case .broadcast(let ops) = e, !ops.isEmpty {
                panes[i].hub.submit(ops)
                panes[i].history.edits.append(Edit(time: Int64(DemoSession.now() * 1000), ops: ops))
                if let id = panes[i].editor.cursor < panes[i].editor.doc.rga.count ? panes[i].editor.doc.rga.id(at: panes[i].editor.cursor) : nil {
                    panes[i].hub.setCursor(id)
                }
            }
        }
    }

    /// Runs the script (and the replay) as far as their clocks allow.
    func tick() {
        let now = DemoSession.now()
        if var h = history, h.scrubber.playing, now >= playDue {
            h.scrubber.step()
            history = h
            playDue = now + (h.delay(now) ?? 0.05)
        }
        var budget = 64
        while !paused, index < script.count, now >= due, budget > 0 {
            budget -= 1
            run(script[index], now)
            if index == script.count { note("script ended converged=\(converged)") }
        }
    }

    func run(_ action: DemoAction, _ now: Double) {
        if case .key = action {} else if case .waitConverged = action, waitingSince != nil {} else if case .waitReplay = action {} else {
            note("action \(index) \(action)")
        }
        switch action {
        case .key(let p, let k):
            perform(p, panes[p].editor.handle(k))
            index += 1
            due = now + 1 / speed
        case .setOnline(let on):
            for p in panes { p.hub.setOnline(on) }
            for i in panes.indices { panes[i].editor.peersStatus = on ? "online" : "offline" }
            index += 1
        case .say(let s):
            banner = s
            index += 1
            due = now + 1.2
        case .wait(let t):
            index += 1
            due = now + t
        case .waitConverged:
            let first = panes[0].editor.text
            let same = panes.allSatisfy { $0.editor.text == first && $0.editor.doc.rga.pendingCount == 0 }
            let versions = panes.allSatisfy { $0.editor.doc.rga.version == panes[0].editor.doc.rga.version }
            if same && versions {
                converged = true
                let shown = first.replacingOccurrences(of: "\n", with: " ⏎ ")
                note("converged after \(Int((now - (waitingSince ?? now)) * 1000)) ms: \(shown.debugDescription)")
                banner = "Converged: every pane shows \"\(shown)\""
                waitingSince = nil
                index += 1
                due = now + 1
            } else {
                converged = false
                if waitingSince == nil { waitingSince = now }
                if now - waitingSince! > 10 {
                    let texts = panes.map { "\($0.editor.text.debugDescription) pending=\($0.editor.doc.rga.pendingCount)" }
                    note("not converged after 10 s: " + texts.joined(separator: " | "))
                    banner = "Not converged after 10 s (a bug: please report it)"
                    waitingSince = nil
                    index += 1
                }
                due = now + 0.05
            }
        case .replayHistory:
            let timeline = Timeline(doc: panes[0].editor.doc.rga, history: panes[0].history)
            var view = TimeTravelView(timeline: timeline)
            // The demo's replay answers only these (no restore, no blame).
            view.keys = [.init("←→ step", rank: 0), .init("Home End first / last", rank: 1), .init("q quits", rank: 2)]
            view.scrubber.apply(.start)
            // Play the whole history in about six seconds.
            while view.scrubber.speed < Double(max(1, timeline.editCount)) / 6 { view.scrubber.apply(.faster) }
            view.scrubber.apply(.playPause)
            history = view
            playDue = now
            index += 1
            due = now + 0.1
        case .waitReplay:
            if history?.scrubber.playing == true { due = now + 0.1 } else {
                note("replay ended")
                index += 1; due = now + 0.5
            }
        }
    }
}

extension TimeTravelView {
    /// Seconds until the next replay step.
    func delay(_ now: Double) -> Double? {
        scrubber.delay(times: timeline.history.edits.map(\.time))
    }
}
