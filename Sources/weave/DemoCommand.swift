import ArgumentParser
import WeaveDemo

/// `weave demo`: conflict-free merging, shown in one terminal.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Two or three live replicas in one terminal: type, cut the link, edit concurrently, heal, replay.",
        discussion: "Space pauses, n (or →) steps while paused, Tab takes over a pane (Esc gives it back), q quits.")

    @Option(help: "Replicas side by side (2 or 3).")
    var peers = 2

    @Option(help: "The case to show: \(DemoScenario.allCases.map(\.rawValue).joined(separator: ", ")).")
    var scenario = "same-position"

    @Option(help: "Keys per second of the scripted typist.")
    var speed = 12.0

    @Option(help: "Write each step of the script, with its time, to this file.")
    var log: String?

    func validate() throws {
        guard peers == 2 || peers == 3 else { throw ValidationError("--peers must be 2 or 3") }
        guard DemoScenario(rawValue: scenario) != nil else {
            throw ValidationError("unknown scenario '\(scenario)'; choose one of \(DemoScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard speed > 0 && speed <= 1000 else { throw ValidationError("--speed must be between 0 and 1000 keys per second") }
    }

    func run() throws {
        let session = try DemoSession(scenario: DemoScenario(rawValue: scenario)!, peers: peers, speed: speed, log: log)
        try session.run()
    }
}
