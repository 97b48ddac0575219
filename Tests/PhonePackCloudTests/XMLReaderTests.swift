import PhonePackCloud
import PhonePackCore
import Testing

@Suite("XML answers read with libexpat, hostile documents refused")
struct XMLReaderTests {
    @Test("a ListObjectsV2 page: keys with entities and non-ASCII, prefixes, truncation")
    func listing() throws {
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <IsTruncated>true</IsTruncated><NextContinuationToken>t&amp;2</NextContinuationToken>
              <Contents><Key>a&lt;b&gt;&amp;&quot;c&apos;.tar</Key><Size>10</Size><ETag>&quot;abc&quot;</ETag></Contents>
              <Contents><Key>caf\u{e9}/e\u{301}.tar</Key><Size>0</Size></Contents>
              <CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>
            </ListBucketResult>
            """
        let root = try XMLReader.parse(Array(text.utf8), source: "test")
        #expect(root.name == "ListBucketResult")
        #expect(root["IsTruncated"] == "true")
        #expect(root["NextContinuationToken"] == "t&2")
        #expect(root.all("Contents").map { $0["Key"] } == ["a<b>&\"c'.tar", "caf\u{e9}/e\u{301}.tar"])
        // Bytes, not String equality: the decomposed é must come back decomposed.
        #expect(Array(root.all("Contents")[1]["Key"]!.utf8) == Array("caf\u{e9}/e\u{301}.tar".utf8))
        #expect(root.all("Contents")[0]["ETag"] == "\"abc\"")
        #expect(root.all("CommonPrefixes").compactMap { $0["Prefix"] } == ["dir/"])
    }

    @Test(
        "hostile or broken documents are refused with one line naming the source",
        arguments: [
            (
                "billion laughs",
                "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><x>&b;</x>",
                "DOCTYPE"
            ),
            ("external entity", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>", "DOCTYPE"),
            ("unclosed", "<Error><Code>x</Error>", "not well-formed"),
            ("not XML", "{\"error_code\": 1}", "not well-formed"),
            ("deep", String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100), "deeper than"),
        ])
    func hostile(name: String, text: String, problem: String) {
        #expect {
            try XMLReader.parse(Array(text.utf8), source: "https://store.example/answer")
        } throws: { error in
            let error = error as? PhonePackError
            return error?.code == .service && error?.path == "https://store.example/answer"
                && error?.message.contains(problem) == true
        }
    }

    @Test("size and element-count limits hold")
    func limits() {
        var small = XMLReader.Limits()
        small.maxBytes = 100
        #expect(throws: PhonePackError.self) {
            try XMLReader.parse(
                Array(("<a>" + String(repeating: "x", count: 200) + "</a>").utf8), source: "s", limits: small)
        }
        var few = XMLReader.Limits()
        few.maxElements = 10
        #expect(throws: PhonePackError.self) {
            try XMLReader.parse(
                Array(("<a>" + String(repeating: "<b/>", count: 20) + "</a>").utf8), source: "s", limits: few)
        }
    }
}
