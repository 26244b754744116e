// How a chapter talks: titles, sections, paragraphs wrapped to the terminal's usual width,
// and labelled tensors. Plain text only (no colours), so outputs compare exactly in tests.

import Foundation
import TensorKit

/// The width paragraphs are wrapped to.
public let narrationWidth = 88

/// Prints the chapter's title, boxed.
///
///     chapterTitle(3, "Simplified self-attention")
///     // ══════════════════════════════════════
///     //  Chapter 3 · Simplified self-attention
///     // ══════════════════════════════════════
public func chapterTitle(_ number: Int, _ title: String) {
    let text = " Chapter \(number) · \(title)"
    let rule = String(repeating: "═", count: max(text.count + 1, 40))
    print(rule)
    print(text)
    print(rule)
}

/// Prints a numbered section heading with a rule under it.
public func section(_ title: String) {
    print("")
    print(title)
    print(String(repeating: "─", count: title.count))
}

/// Prints narration: paragraphs wrapped at `narrationWidth` columns, as `narrationLines` lays
/// them out (an empty line stays an empty line, an indented line is printed as written).
///
///     say("""
///
///     The formula:
///
///         y = x / 2
///     """)
///     // (an empty line)
///     // The formula:
///     // (an empty line)
///     //     y = x / 2
public func say(_ text: String) {
    for line in narrationLines(text) { print(line) }
}

/// The lines `say` prints for `text`. Consecutive plain lines join into one paragraph wrapped at
/// `width`; every empty line of `text` (a leading or trailing newline too) is an empty line of
/// the output, so a paragraph never runs into what is printed before or after it; a line that
/// starts with a space (a formula, a code line) is kept as written, only its trailing spaces cut.
///
///     narrationLines("\nOne\ntwo.\n\n  x = 1")   // ["", "One two.", "", "  x = 1"]
public func narrationLines(_ text: String, width: Int = narrationWidth) -> [String] {
    var out: [String] = []
    var paragraph: [Substring] = []
    func flush() {
        if !paragraph.isEmpty { out += wrap(paragraph.joined(separator: " "), width: width).components(separatedBy: "\n") }
        paragraph = []
    }
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.allSatisfy({ $0 == " " }) {
            flush()
            out.append("")
        } else if line.first == " " {
            flush()
            out.append(String(line).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
        } else {
            paragraph.append(line)
        }
    }
    flush()
    return out
}

/// Wraps words into lines no longer than `width` (a longer single word gets its own line).
public func wrap(_ text: String, width: Int, indent: String = "") -> String {
    var lines: [String] = []
    var line = indent
    for word in text.split(separator: " ", omittingEmptySubsequences: true) {
        if line.count > indent.count && line.count + 1 + word.count > width {
            lines.append(line)
            line = indent
        }
        line += (line.count > indent.count ? " " : "") + word
    }
    lines.append(line)
    return lines.joined(separator: "\n")
}

/// Prints `label` with the tensor's shape, then the tensor as PyTorch prints it.
///
///     show("attention weights", weights)
///     // attention weights  [6, 6]
///     // tensor([[0.2098, 0.2006, ...
public func show(_ label: String, _ tensor: Tensor) {
    print("\(label)  \(describeShape(tensor.shape))")
    print(tensor)
}

/// Formats a number with a fixed number of decimals: `fixed(0.95443, 4)` is "0.9544".
public func fixed(_ value: Float, _ decimals: Int = 4) -> String {
    String(format: "%.\(decimals)f", Double(value))
}

/// Formats an integer with thousands separators: `grouped(163009536)` is "163,009,536".
public func grouped(_ value: Int) -> String {
    let digits = String(abs(value))
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(c)
    }
    return (value < 0 ? "-" : "") + out
}

/// Pads `text` on the right (or left with `right: true`) to `width` characters.
public func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let gap = String(repeating: " ", count: max(0, width - text.count))
    return right ? gap + text : text + gap
}

/// Prints rows as an aligned table with a header and a rule. Numbers align right when
/// `rightAligned` says so for their column.
public func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) {
    let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { pad($0.element, widths[$0.offset], right: rightAligned.contains($0.offset)) }
            .joined(separator: "  ")
            .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }
    print(line(header))
    print(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
    for row in rows { print(line(row)) }
}

/// Text in double quotes with only what must be escaped escaped (\" \\ \n \t \r and other
/// control characters), as Python's `json.dumps(s, ensure_ascii=False)` would show it.
///
///     quoted("It's\n")   // "\"It's\\n\""
public func quoted(_ text: String) -> String {
    var out = "\""
    for s in text.unicodeScalars {
        switch s {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if s.value < 0x20 || s.value == 0x7F { out += String(format: "\\u%04x", s.value) } else { out.unicodeScalars.append(s) }
        }
    }
    return out + "\""
}
