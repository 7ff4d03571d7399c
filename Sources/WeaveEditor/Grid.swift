/// A screen's worth of cells: what `render` produces and the terminal draws.
/// Tests compare Grids (or their `lines`), never terminals.
public struct Grid: Sendable, Equatable {
    /// Display attributes of a cell.
    public struct Attributes: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let reverse = Attributes(rawValue: 1)
        public static let bold = Attributes(rawValue: 2)
        public static let dim = Attributes(rawValue: 4)
        public static let underline = Attributes(rawValue: 8)
    }

    /// One cell. A wide character is a cell of width 2 followed by a
    /// continuation cell (empty text, width 0) that the terminal skips.
    public struct Cell: Sendable, Equatable {
        /// What to print: one base scalar plus any combining scalars.
        public var text: String
        /// Cells the text covers: 1, 2, or 0 for a continuation.
        public var width: Int
        public var attributes: Attributes
        /// Foreground colour: 0 the terminal's default, else a `Grid.Colour`
        /// (1-7) or a `Grid.Syntax` (16…).
        public var colour: UInt8
        public init(_ text: String, width: Int = 1, attributes: Attributes = [], colour: UInt8 = 0) {
            self.text = text
            self.width = width
            self.attributes = attributes
            self.colour = colour
        }
        public static let blank = Cell(" ")
        public var isContinuation: Bool { width == 0 }
    }

    public let width: Int
    public let height: Int
    /// `height` rows of `width` cells each.
    public var rows: [[Cell]]
    /// Where the terminal cursor goes (column, row), or nil to hide it.
    public var cursor: (x: Int, y: Int)?

    /// A blank grid. O(width × height).
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        rows = Array(repeating: Array(repeating: .blank, count: self.width), count: self.height)
    }

    /// Writes `cell` at (x, y); a wide cell also fills the continuation cell. A
    /// cell that would cross the right edge (or lies outside) is dropped, a wide
    /// one replaced by a blank. O(1).
    public mutating func put(_ cell: Cell, x: Int, y: Int) {
        guard y >= 0, y < height, x >= 0, x < width else { return }
        if cell.width == 2 {
            guard x + 1 < width else { rows[y][x] = Cell(" ", attributes: cell.attributes); return }
            rows[y][x] = cell
            rows[y][x + 1] = Cell("", width: 0, attributes: cell.attributes, colour: cell.colour)
        } else {
            rows[y][x] = cell
        }
    }

    /// The colours a cell can have (the terminal maps them to colour pairs).
    public enum Colour: UInt8, Sendable, CaseIterable {
        case standard = 0, red, green, yellow, blue, magenta, cyan, white
        /// Colours for authors and peers, in the order they are handed out.
        public static let authorPalette: [Colour] = [.cyan, .magenta, .yellow, .green, .blue, .red]
        /// The colour of author or peer number `i`.
        public static func author(_ i: Int) -> Colour { authorPalette[((i % authorPalette.count) + authorPalette.count) % authorPalette.count] }

        /// The hue as #rrggbb, close to what common terminals draw it in: for
        /// an editor that draws peers itself (the editor protocol).
        public var hex: String {
            switch self {
            case .standard: return "#c0c0c0"
            case .red: return "#d75f5f"
            case .green: return "#5faf5f"
            case .yellow: return "#d7af00"
            case .blue: return "#5f87d7"
            case .magenta: return "#af5fd7"
            case .cyan: return "#00afaf"
            case .white: return "#e4e4e4"
            }
        }
    }

    /// The colours of syntax classes, as cell colours 16 and up (apart from
    /// `Colour`, which peers, authors and the current match use). The terminal
    /// draws them in its 256-colour palette, in hues none of the peers have;
    /// on 8 colours as bold (keywords, headings), dim (comments) or one basic
    /// colour (strings green, diff lines green and red); without colours, or
    /// with `NO_COLOR` set, as bold and dim alone. Same order as
    /// `WeaveSyntax.TokenKind`.
    public enum Syntax: UInt8, Sendable, CaseIterable {
        case keyword = 16, type, string, comment, number, meta, heading, code, added, removed
    }

    /// Writes `s` from (x, y), one cell per character's width, clipped at the
    /// right edge; returns the column after it. O(s).
    @discardableResult
    public mutating func write(_ s: String, x: Int, y: Int, attributes: Attributes = [], colour: Colour = .standard) -> Int {
        var x = x
        for u in s.unicodeScalars {
            let w = CharWidth.of(u)
            if w == 0 {
                if x > 0, y < height, x - 1 < width { rows[y][x - 1].text.unicodeScalars.append(u) }
                continue
            }
            put(Cell(String(u), width: w, attributes: attributes, colour: colour.rawValue), x: x, y: y)
            x += w
        }
        return x
    }

    /// Sets `attributes` on every cell of row `y`. O(width).
    public mutating func setAttributes(_ attributes: Attributes, row y: Int) {
        guard y >= 0, y < height else { return }
        for x in 0 ..< width { rows[y][x].attributes = attributes }
    }

    /// The rows as text, continuation cells skipped and trailing spaces trimmed.
    public var lines: [String] {
        rows.map { row in
            var s = row.filter { !$0.isContinuation }.map(\.text).joined()
            while s.hasSuffix(" ") { s.removeLast() }
            return s
        }
    }

    /// The rows as text plus a cursor line: the form golden files hold.
    public var snapshot: String {
        var out = lines.joined(separator: "\n")
        if let c = cursor { out += "\n@cursor \(c.x),\(c.y)" } else { out += "\n@cursor hidden" }
        return out + "\n"
    }

    public static func == (a: Grid, b: Grid) -> Bool {
        a.width == b.width && a.height == b.height && a.rows == b.rows
            && a.cursor?.x == b.cursor?.x && a.cursor?.y == b.cursor?.y
    }
}
