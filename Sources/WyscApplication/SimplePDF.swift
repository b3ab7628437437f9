import Foundation

/// A small, valid one-page PDF with lines of text: the demo's proposal documents and the tests'.
public enum SimplePDF {
    /// Characters outside printable ASCII become '?': the standard Helvetica font has no others.
    public static func make(title: String, lines: [String]) -> Data {
        func escaped(_ text: String) -> String {
            var result = ""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "(", ")", "\\": result += "\\" + String(scalar)
                case " "..."~": result.unicodeScalars.append(scalar)
                default: result += "?"
                }
            }
            return result
        }
        var content = "BT /F1 18 Tf 56 780 Td (\(escaped(title))) Tj ET\n"
        for (index, line) in lines.prefix(40).enumerated() {
            content += "BT /F1 11 Tf 56 \(750 - index * 16) Td (\(escaped(line))) Tj ET\n"
        }
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length \(content.utf8.count) >>\nstream\n\(content)endstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        var pdf = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(pdf.utf8.count)
            pdf += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = pdf.utf8.count
        pdf += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { pdf += String(repeating: "0", count: 10 - String(offset).count) + "\(offset) 00000 n \n" }
        pdf += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Data(pdf.utf8)
    }
}
