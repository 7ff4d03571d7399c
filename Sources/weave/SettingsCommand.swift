import ArgumentParser
import WeaveSession

/// `weave settings`: where the settings file is and every value in force.
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "Show where the settings file is and every setting in force, with where it came from.",
        discussion: """
        The file is settings.toml in $WEAVE_CONFIG_DIR, else $XDG_CONFIG_HOME/weave, else \
        ~/.config/weave. Each value is marked default, file or environment (WEAVE_MOUSE=0, \
        WEAVE_OSC52, WEAVE_NAME and NO_COLOR win over the file). Problems in the file are listed \
        last; the editor shows the first one when it starts. docs/EDITOR.md describes every setting.
        """)

    func run() throws {
        print(SettingsFile.current.report, terminator: "")
    }
}
