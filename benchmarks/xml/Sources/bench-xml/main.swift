import Foundation
import FoundationXML
import PhonePackCloud

// One ListObjectsV2 page of 1,000 keys, as OBS/OSS/S3 send it (entities in some keys).
var page =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
page +=
    "<Name>bucket</Name><Prefix></Prefix><KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
page += "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
for i in 0..<1000 {
    let key = i % 10 == 0 ? "exports/phone-\(i)/data &amp; cache.tar" : "exports/phone-\(i)/com.example.app-\(i).tar"
    page += "<Contents><Key>\(key)</Key><LastModified>2026-11-30T10:00:00.000Z</LastModified>"
    page += "<ETag>&quot;\(String(repeating: "0123456789abcdef", count: 2))&quot;</ETag><Size>\(i * 4096)</Size>"
    page += "<StorageClass>STANDARD</StorageClass></Contents>"
}
page += "</ListBucketResult>"
let bytes = Array(page.utf8)

func best(_ runs: Int, _ body: () -> Int) -> (seconds: Double, count: Int) {
    var fastest = Double.infinity
    var count = 0
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        count = body()
        fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return (fastest, count)
}

let expat = best(50) {
    let root = try! XMLReader.parse(bytes, source: "bench")
    return root.all("Contents").compactMap { $0["Key"] }.count
}

final class Keys: NSObject, XMLParserDelegate {
    var keys: [String] = []
    var inKey = false
    var text = ""
    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        inKey = name == "Key"
        text = ""
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { if inKey { text += string } }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "Key" { keys.append(text) }
        inKey = false
    }
}
let foundation = best(50) {
    let keys = Keys()
    let parser = XMLParser(data: Data(bytes))
    parser.delegate = keys
    _ = parser.parse()
    return keys.keys.count
}

// The string search phonepack used before (no entities, no well-formedness check).
let search = best(50) {
    page.split(separator: "<Contents>").dropFirst().compactMap { block -> Substring? in
        guard let open = block.firstRange(of: "<Key>"), let close = block[open.upperBound...].firstRange(of: "</Key>")
        else { return nil }
        return block[open.upperBound..<close.lowerBound]
    }.count
}

func line(_ name: String, _ result: (seconds: Double, count: Int)) {
    let ms = String(format: "%.3f", result.seconds * 1000)
    let ratio = String(format: "%.2f", result.seconds / expat.seconds)
    print(
        "\(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(ms) ms  \(ratio)× libexpat  (\(result.count) keys)"
    )
}
print("1,000-key ListObjectsV2 page, \(bytes.count) bytes, best of 50")
line("libexpat (XMLReader)", expat)
line("FoundationXML XMLParser", foundation)
line("string search (before)", search)
