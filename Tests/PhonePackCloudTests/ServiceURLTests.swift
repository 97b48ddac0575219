import PhonePackCloud
import PhonePackCore
import Testing

@Suite("The one plain-http rule: the URL's real host decides")
struct ServiceURLTests {
    @Test(
        "loopback is localhost, 127.0.0.0/8 and [::1], in any spelling of ::1, and nothing else",
        arguments: [
            ("localhost", true), ("LOCALHOST", true), ("127.0.0.1", true), ("127.255.3.4", true),
            ("[::1]", true), ("[0:0:0:0:0:0:0:1]", true), ("[0::1]", true),
            ("127.evil.com", false), ("localhost.evil.com", false), ("127.0.0.1.nip.io", false),
            ("[::ffff:127.0.0.1]", false), ("128.0.0.1", false), ("127.1", false), ("0177.0.0.1", false),
            ("127.0.0.01", false), ("127.0.0.256", false), ("localhost.", false), ("[::2]", false), ("", false),
            ("evil.com", false),
        ])
    func loopback(host: String, expected: Bool) {
        #expect(ServiceURL.isLoopback(hostName: host) == expected, "\(host)")
    }

    @Test(
        "plain http is refused unless the host is loopback; userinfo and odd hosts are refused everywhere",
        arguments: [
            ("http://127.0.0.1:9000", true), ("http://localhost:8080/path", true), ("http://[::1]:80", true),
            ("https://obs.cn-north-4.myhuaweicloud.com", true), ("obs.cn-north-4.myhuaweicloud.com", true),
            ("http://127.evil.com", false), ("http://localhost.evil.com:80", false),
            ("http://127.0.0.1.nip.io", false), ("http://[::ffff:127.0.0.1]", false),
            ("http://127.0.0.1@evil.example", false), ("https://user:pw@obs.example.com", false),
            ("http://remote-host:8080", false), ("ftp://127.0.0.1", false), ("http://", false),
            ("http://127.0.0.1:99999", false), ("http://evil.com\\@127.0.0.1", false),
            ("http://127.0.0.1:80:80", false),
        ])
    func parsing(url: String, accepted: Bool) {
        let parsed = try? ServiceURL(parsing: url, service: "test")
        #expect((parsed != nil) == accepted, "\(url)")
    }

    @Test("--allow-insecure-http lets plain http reach any host, but never a URL with userinfo")
    func allowInsecure() throws {
        #expect(
            try ServiceURL(parsing: "http://remote-host:8080", service: "t", allowInsecureHTTP: true).host
                == "remote-host:8080")
        #expect(throws: PhonePackError.self) {
            try ServiceURL(parsing: "http://a@remote-host", service: "t", allowInsecureHTTP: true)
        }
        let url = try ServiceURL(parsing: "http://[::1]:9000/x", service: "t")
        #expect(url.hostName == "[::1]" && url.isIPLiteral && url.description == "http://[::1]:9000")
    }
}
