#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import PeerTestSupport
import WeaveCore
import WeavePeer

/// `weave-bench storm`: a connection storm against a real `weave serve`.
struct BenchStorm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storm",
        abstract: "Many peers dial one weave serve relay at once and type; every edit must arrive.",
        discussion: """
        Starts `weave serve` (the weave binary beside this one, or --weave) on a new file as its \
        own process, then --peers in-process peers (one event loop each, TLS with the relay's \
        invitation) dial it at the same moment and each types --characters characters at --cps \
        per second at the end of its own replica (each peer its own letter, so arrivals are \
        counted per peer). With --lossy every peer goes through a fault-injecting proxy that, \
        each second, changes its delay (0-150 ms), sometimes stalls every link for 1-3 s (past \
        the peers' keep-alive when it is 3 s or more) and sometimes resets every link through it. \
        Measured: the time from the first dial until every peer's edits are acknowledged and every \
        replica (the relay's included) holds the same text; the relay's peak RSS (VmHWM) and CPU \
        time (user + system) per edit; links cut for silence (the relay's log). Then the relay is \
        stopped with SIGTERM and its saved file is counted: it must hold every peer's characters. \
        Fails if a character is missing or the peers do not converge within --timeout seconds. \
        With --metrics-overhead the storm is run --rounds times with the relay's `--metrics` off and \
        --rounds times with it on (alternately, off first), a scraper reading /metrics every second \
        during the "on" runs as Prometheus would; the medians of the relay's CPU per edit and peak \
        RSS are compared (issue 35 asks for a difference of at most 5 %).
        """)

    @Option(help: "Peers dialling at once.") var peers = 200
    @Option(help: "Characters each peer types.") var characters = 300
    @Option(help: "Characters per second per peer.") var cps = 5.0
    @Flag(help: "Put every peer behind a proxy that delays, stalls and resets links.") var lossy = false
    @Option(help: "Seed of the proxy's faults (random when absent; printed).") var seed: UInt64?
    @Option(help: "The weave binary to run as the relay (default: beside weave-bench).") var weave: String?
    @Option(help: "Seconds to wait for convergence after the typing.") var timeout = 120.0
    @Flag(help: "Also print the figures as one JSON line.") var json = false
    @Flag(help: "Measure what --metrics costs the relay: runs with it off and on (scraped every second), alternately, and compares.")
    var metricsOverhead = false
    @Option(help: "With --metrics-overhead: runs of each kind (the medians are compared).") var rounds = 3

    struct Result: Codable {
        var peers: Int, characters_per_peer: Int, cps: Double, lossy: Bool, seed: UInt64
        /// Whether the relay ran with `--metrics`, and how many scrapes answered (failed) meanwhile.
        var metrics: Bool, scrapes: Int, failed_scrapes: Int
        var typing_s: Double, converged_s: Double
        var relay_peak_rss_mb: Double, relay_cpu_s: Double, relay_cpu_us_per_edit: Double
        var silent_cuts: Int, proxy_cuts: Int, proxy_stalls: Int
        var saved_characters: Int, expected_characters: Int
    }

    /// `--metrics-overhead`: the medians of each kind and their difference.
    struct Overhead: Codable {
        var rounds: Int
        var cpu_us_per_edit_off: Double, cpu_us_per_edit_on: Double, cpu_difference_percent: Double
        var peak_rss_mb_off: Double, peak_rss_mb_on: Double, rss_difference_percent: Double
        var runs: [Result]
    }

    func run() throws {
        let seed = self.seed ?? UInt64.random(in: 0 ... .max)
        guard metricsOverhead else {
            let r = try storm(seed: seed, metrics: false)
            if json, let data = try? JSONEncoder().encode(r), let line = String(data: data, encoding: .utf8) { print(line) }
            return
        }
        guard rounds >= 1 else { throw BenchFailure("--rounds must be at least 1") }
        var runs: [Result] = []
        for round in 0 ..< rounds {
            for metrics in [false, true] {
                print("storm         round \(round + 1) of \(rounds), metrics \(metrics ? "on (scraped every second)" : "off")")
                runs.append(try storm(seed: seed &+ UInt64(round), metrics: metrics))
            }
        }
        func median(_ xs: [Double]) -> Double {
            let s = xs.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let off = runs.filter { !$0.metrics }, on = runs.filter(\.metrics)
        let cpuOff = median(off.map(\.relay_cpu_us_per_edit)), cpuOn = median(on.map(\.relay_cpu_us_per_edit))
        let rssOff = median(off.map(\.relay_peak_rss_mb)), rssOn = median(on.map(\.relay_peak_rss_mb))
        let o = Overhead(rounds: rounds, cpu_us_per_edit_off: cpuOff, cpu_us_per_edit_on: cpuOn,
                         cpu_difference_percent: (cpuOn - cpuOff) / cpuOff * 100,
                         peak_rss_mb_off: rssOff, peak_rss_mb_on: rssOn, rss_difference_percent: (rssOn - rssOff) / rssOff * 100,
                         runs: runs)
        print("storm         the relay's CPU per edit, each run (µs): off \(off.map { String(format: "%.1f", $0.relay_cpu_us_per_edit) }.joined(separator: " ")), on \(on.map { String(format: "%.1f", $0.relay_cpu_us_per_edit) }.joined(separator: " "))")
        print("storm         the relay's peak RSS, each run (MB): off \(off.map { String(format: "%.1f", $0.relay_peak_rss_mb) }.joined(separator: " ")), on \(on.map { String(format: "%.1f", $0.relay_peak_rss_mb) }.joined(separator: " "))")
        print(String(format: "storm         --metrics costs the relay %+.1f %% CPU per edit (median %.1f -> %.1f µs) and %+.1f %% peak RSS (median %.1f -> %.1f MB); %d scrapes answered, %d failed",
                     o.cpu_difference_percent, cpuOff, cpuOn, o.rss_difference_percent, rssOff, rssOn,
                     on.reduce(0) { $0 + $1.scrapes }, on.reduce(0) { $0 + $1.failed_scrapes }))
        if json, let data = try? JSONEncoder().encode(o), let line = String(data: data, encoding: .utf8) { print(line) }
    }

    /// One storm against a new relay (with `--metrics` and a scraper when `metrics`). Throws when it failed.
    func storm(seed: UInt64, metrics: Bool) throws -> Result {
        var rng = SplitMix64(seed: seed)
        let weavePath = weave ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("weave").path
        guard FileManager.default.isExecutableFile(atPath: weavePath) else {
            throw BenchFailure("no weave binary at \(weavePath) (build it: swift build -c release --product weave, or --weave PATH)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weave-storm-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/storm.txt", log = dir + "/serve.log"

        // The relay, as its own process.
        let relay = Process()
        relay.executableURL = URL(fileURLWithPath: weavePath)
        relay.arguments = ["serve", file, "--port", "0", "--log", log] + (metrics ? ["--metrics", "127.0.0.1:0"] : [])
        relay.environment = ProcessInfo.processInfo.environment.merging(["WEAVE_CONFIG_DIR": dir + "/config"]) { $1 }
        let out = Pipe()
        relay.standardOutput = out
        relay.standardError = out
        try relay.run()
        defer { if relay.isRunning { relay.terminate() } }
        let (address, token, metricsPort) = try Self.readBanner(out.fileHandleForReading, metrics: metrics)
        let port = Int(address.split(separator: ":").last!)!
        guard let invitation = Invitation(token: token) else { throw BenchFailure("the relay printed no invitation") }
        // Drain the relay's stdout so it never blocks.
        let drain = Thread { while !out.fileHandleForReading.availableData.isEmpty {} }
        drain.start()

        let scraper = metricsPort.map { MetricsScraper(port: $0) }
        defer { scraper?.stop() }
        let proxy = lossy ? try FaultProxy(to: port) : nil
        defer { proxy?.stop() }
        var config = PeerHub.Configuration()
        config.backoff = Backoff(initial: .milliseconds(100), cap: .seconds(2))
        var mirrors: [RGA] = []
        var hubs: [PeerHub] = []
        for i in 0 ..< peers {
            let mirror = RGA(replica: .random())
            var c = config
            c.name = "p\(i)"
            mirrors.append(mirror)
            hubs.append(PeerHub(document: mirror, configuration: c))
        }
        defer { for h in hubs { _ = try? h.shutdown() } }
        let letters = (0 ..< peers).map { Unicode.Scalar(UInt32(0x4E00 + $0))! }

        print("storm         \(peers) peers dial weave serve at once\(lossy ? " through a lossy proxy (seed \(seed))" : ""), each typing \(characters) characters at \(cps)/s")
        let start = ContinuousClock.now
        for h in hubs { h.connect(host: "127.0.0.1", port: proxy?.port ?? port, invitation: invitation) }
        let tick = Duration.seconds(1 / cps)
        var nextTick = start
        var stalls = 0, nextFault = start + .seconds(1), stallEnds: ContinuousClock.Instant?
        for _ in 0 ..< characters {
            for i in 0 ..< peers {
                if let op = mirrors[i].insert([letters[i]], at: mirrors[i].count) {
                    hubs[i].submit(op)
                    hubs[i].setCursor(mirrors[i].id(at: mirrors[i].count - 1))
                }
            }
            if let proxy, ContinuousClock.now >= nextFault {
                nextFault += .seconds(1)
                if let end = stallEnds, ContinuousClock.now >= end { proxy.stall(false); stallEnds = nil }
                proxy.delay(milliseconds: Int.random(in: 0 ... 150, using: &rng))
                let roll = Int.random(in: 0 ..< 100, using: &rng)
                if roll < 8, stallEnds == nil {
                    proxy.stall(true)
                    stalls += 1
                    stallEnds = ContinuousClock.now + .seconds(Int.random(in: 1 ... 3, using: &rng))
                } else if roll < 14 {
                    proxy.cut()
                }
            }
            nextTick += tick
            let wait = nextTick - ContinuousClock.now
            if wait > .zero { Thread.sleep(forTimeInterval: Double(wait.components.attoseconds) / 1e18 + Double(wait.components.seconds)) }
        }
        proxy?.stall(false)
        proxy?.delay(milliseconds: 0)
        let typing = ContinuousClock.now - start

        // Every edit acknowledged, every replica equal to the relay's (which is the
        // union: read through one more, direct, peer).
        let observer = PeerHub(document: RGA(replica: .random()), configuration: config)
        defer { _ = try? observer.shutdown() }
        observer.connect(host: "127.0.0.1", port: port, invitation: invitation)
        let expected = peers * characters
        let deadline = ContinuousClock.now + .seconds(timeout)
        var converged = false
        while ContinuousClock.now < deadline {
            let all = try observer.snapshot()
            if all.count == expected, try hubs.allSatisfy({ try $0.currentDelivery().pending == 0 }) {
                let text = all.text
                if try hubs.allSatisfy({ try $0.snapshot().text == text }) { converged = true; break }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let settled = ContinuousClock.now - start
        let (rss, cpu) = Self.processFigures(relay.processIdentifier)
        scraper?.stop()
        let scraped = scraper?.counts ?? (scrapes: 0, failures: 0, bytes: 0)
        kill(relay.processIdentifier, SIGTERM)
        relay.waitUntilExit()
        let saved = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        var counts: [Unicode.Scalar: Int] = [:]
        for s in saved.unicodeScalars { counts[s, default: 0] += 1 }
        let missing = letters.enumerated().filter { counts[$0.element, default: 0] != characters }
        let silent = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: "nothing heard").count - 1
        let edits = Double(expected)
        let r = Result(peers: peers, characters_per_peer: characters, cps: cps, lossy: lossy, seed: seed,
                       metrics: metrics, scrapes: scraped.scrapes, failed_scrapes: scraped.failures,
                       typing_s: typing.ms / 1000, converged_s: settled.ms / 1000,
                       relay_peak_rss_mb: Double(rss) / 1_048_576, relay_cpu_s: cpu, relay_cpu_us_per_edit: cpu / edits * 1e6,
                       silent_cuts: silent, proxy_cuts: proxy?.counters.cuts ?? 0, proxy_stalls: stalls,
                       saved_characters: saved.unicodeScalars.count, expected_characters: expected)
        print(String(format: "storm         typed in %.1f s; all acknowledged and equal after %.1f s; relay peak RSS %.1f MB, CPU %.2f s (%.0f µs per edit); %d links cut for silence; %d resets, %d stalls by the proxy",
                     r.typing_s, r.converged_s, r.relay_peak_rss_mb, r.relay_cpu_s, r.relay_cpu_us_per_edit, r.silent_cuts, r.proxy_cuts, r.proxy_stalls))
        print("storm         the relay saved \(r.saved_characters) of \(expected) characters\(metrics ? "; /metrics answered \(r.scrapes) scrapes (\(r.failed_scrapes) failed)" : "")")
        guard converged else { throw BenchFailure("storm: the peers did not converge within \(Int(timeout)) s of the typing (seed \(seed))") }
        guard missing.isEmpty else {
            throw BenchFailure("storm: the relay's file lacks characters of \(missing.count) peers (seed \(seed)), first p\(missing[0].offset): \(counts[missing[0].element, default: 0]) of \(characters)")
        }
        return r
    }

    /// Reads the relay's stdout until its join command (and, with `metrics`,
    /// its metrics line): (HOST:PORT, token, the metrics port or nil).
    static func readBanner(_ handle: FileHandle, metrics: Bool) throws -> (String, String, Int?) {
        var seen = ""
        var join: (String, String)?, metricsPort: Int?
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let data = handle.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
            for line in seen.split(separator: "\n") {
                let words = line.split(separator: " ")
                if line.hasPrefix("join with: "), let i = words.lastIndex(of: "join"), i + 1 < words.count,
                   let t = words.firstIndex(of: "--invite"), t + 1 < words.count {
                    join = (String(words[i + 1]), String(words[t + 1]))
                }
                // "metrics on http://127.0.0.1:PORT/metrics (and /healthz)"
                if line.hasPrefix("metrics on http://"), let url = words.dropFirst(2).first,
                   let hostPort = url.dropFirst("http://".count).split(separator: "/").first,
                   let port = hostPort.split(separator: ":").last.flatMap({ Int($0) }) {
                    metricsPort = port
                }
            }
            if let join, !metrics || metricsPort != nil { return (join.0, join.1, metricsPort) }
        }
        throw BenchFailure("weave serve did not print its join command\(metrics ? " and metrics address" : ""): \(seen)")
    }

    /// A process's peak RSS (bytes) and CPU time (user + system, seconds), from /proc.
    static func processFigures(_ pid: Int32) -> (Int, Double) {
        var peak = 0
        if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
                peak = (Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0) * 1024
            }
        }
        var cpu = 0.0
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 12, let u = Double(fields[11]), let s = Double(fields[12]) {
                cpu = (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
            }
        }
        return (peak, cpu)
    }
}
