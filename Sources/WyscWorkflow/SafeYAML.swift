import Yams

/// The one way wysc reads YAML from a person (workflow files, scorecard files): bounded in size,
/// free of NUL, and bounded in what aliases can expand to. Yams shares an aliased node instead of
/// copying it, so composing is cheap; it is walking the tree (or turning it into Swift values) that
/// an alias bomb makes exponential. `compose` walks it once under a budget of nodes and refuses a
/// document that expands past it, so no caller ever walks a bomb.
public enum SafeYAML {
    /// No YAML input of wysc comes near this; a larger file is refused before it is parsed.
    public static let maxBytes = 1 << 20
    /// Nodes a document may expand to, aliases followed.
    public static let maxNodes = 100_000

    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var line: Int?
        public var column: Int?
        public var message: String
        public var description: String { message }

        public init(line: Int? = nil, column: Int? = nil, message: String) {
            self.line = line
            self.column = column
            self.message = message
        }
    }

    /// The document's root node (nil for an empty document), or a refusal saying why and where.
    public static func compose(_ text: String) throws(Refusal) -> Node? {
        let size = text.utf8.count
        if size > maxBytes {
            throw Refusal(message: "the file has \(size) bytes; at most \(maxBytes) are read")
        }
        var line = 1
        var column = 1
        for scalar in text.unicodeScalars {
            if scalar.value == 0 { throw Refusal(line: line, column: column, message: "a NUL character; the file must be text") }
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        let root: Node?
        do {
            // No implicit typing of scalars: the readers decide what each value must be, and
            // compiling the default resolver's patterns cost a one-shot command a tenth of its CPU.
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                throw Refusal(line: mark.line, column: mark.column, message: "malformed YAML: \(problem)")
            default:
                throw Refusal(message: "malformed YAML: \(error)")
            }
        } catch {
            throw Refusal(message: "malformed YAML: \(error)")
        }
        guard let root else { return nil }
        var budget = maxNodes
        guard fits(root, budget: &budget) else {
            throw Refusal(
                message: "the document expands to more than \(maxNodes) values (YAML aliases that repeat each other?); write the values out")
        }
        return root
    }

    /// Counts nodes depth first, stopping as soon as the budget is spent.
    private static func fits(_ node: Node, budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .scalar, .alias:
            return true
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard fits(key, budget: &budget), fits(value, budget: &budget) else { return false }
            }
            return true
        case .sequence(let sequence):
            for element in sequence {
                guard fits(element, budget: &budget) else { return false }
            }
            return true
        }
    }
}
