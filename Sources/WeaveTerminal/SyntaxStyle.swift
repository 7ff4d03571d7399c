@preconcurrency import CNcurses
import WeaveEditor

/// How the terminal draws syntax colours (`Grid.Syntax`), by what it can show.
///
/// Peers, authors and the current match use the 8 basic colours (pairs 1-7),
/// drawn as reverse cells and underlines; syntax colours are foreground only,
/// and on 256 colours they come from the extended palette, in hues none of
/// the basic colours has, so a peer's cursor or selection never looks like
/// code. On 8 colours and without colour they lean on bold and dim.
enum SyntaxStyle: Equatable {
    /// 256 colours: pairs 16… hold `paletteColour`.
    case palette
    /// 8 colours: bold, dim, and green/red for strings and diff lines.
    case basic
    /// No colour (or `NO_COLOR`): bold and dim only.
    case monochrome

    /// The xterm-256 palette colour of each kind: soft hues, distinct from
    /// the 8 basic colours and readable on dark and light backgrounds.
    static func paletteColour(_ kind: Grid.Syntax) -> Int16 {
        switch kind {
        case .keyword: return 134   // purple
        case .type: return 31       // teal blue
        case .string: return 64     // olive green
        case .comment: return 244   // grey
        case .number: return 166    // orange
        case .meta: return 96       // plum
        case .heading: return 25    // deep blue
        case .code: return 94       // brown
        case .added: return 28      // green
        case .removed: return 124   // dark red
        }
    }

    /// The ncurses attributes of a syntax kind in this style.
    func attributes(_ kind: Grid.Syntax) -> Int {
        let bold = Int(weave_a_bold()), dim = Int(weave_a_dim())
        switch self {
        case .palette:
            let pair = Int(weave_colour_pair(Int32(kind.rawValue)))
            return kind == .keyword || kind == .heading ? pair | bold : pair
        case .basic:
            switch kind {
            case .keyword, .heading: return bold
            case .comment: return dim
            case .string, .added: return Int(weave_colour_pair(Int32(Grid.Colour.green.rawValue)))
            case .removed: return Int(weave_colour_pair(Int32(Grid.Colour.red.rawValue)))
            default: return Int(weave_a_normal())
            }
        case .monochrome:
            switch kind {
            case .keyword, .heading: return bold
            case .comment: return dim
            default: return Int(weave_a_normal())
            }
        }
    }
}
