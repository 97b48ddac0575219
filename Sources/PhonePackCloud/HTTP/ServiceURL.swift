import Glibc
import PhonePackCore

/// A service endpoint (`https://host[:port]`), parsed once with the one plain-http rule every service follows.
///
/// Plain `http://` sends requests (and an IAM password body) unencrypted, so it is allowed only to this machine
/// unless the user says `--allow-insecure-http`. "This machine" is decided on the URL's real host, never on a
/// prefix of the text: `localhost`, an IPv4 literal in 127.0.0.0/8, or `[::1]`. A URL with userinfo
/// (`http://127.0.0.1@evil.example`) is refused outright: its host is not what it seems to be.
public struct ServiceURL: Sendable, Equatable, CustomStringConvertible {
    /// `https` or `http`.
    public var scheme: String
    /// `host[:port]` as it goes into the request URL and `Host` header.
    public var host: String

    /// Parses `text` (`https://` is assumed when no scheme is given) and applies the plain-http rule.
    public init(parsing text: String, service: String, allowInsecureHTTP: Bool = false) throws(PhonePackError) {
        let invalid = { (why: String) in
            PhonePackError(
                .invalidInput, operation: "check \(service) endpoint", path: text.terminalSafe, message: why)
        }
        var rest = Substring(text)
        if let separator = text.firstRange(of: "://") {
            scheme = text[..<separator.lowerBound].lowercased()
            rest = text[separator.upperBound...]
        } else {
            scheme = "https"
        }
        guard scheme == "https" || scheme == "http" else { throw invalid("is not an http(s) URL") }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else {
            throw invalid("has a user name or password in it (user@host); give the endpoint without one")
        }
        guard let (name, _) = Self.split(authority) else {
            throw invalid("has no valid host name (letters, digits, '.', '-', or an [IPv6] address, then :port)")
        }
        host = String(authority)
        if scheme == "http" && !allowInsecureHTTP && !Self.isLoopback(hostName: name) {
            throw invalid(
                "plain http sends your requests unencrypted to a host that is not this machine; use https, or --allow-insecure-http if you mean it"
            )
        }
    }

    public var description: String { "\(scheme)://\(host)" }

    /// The host name without its port (IPv6 addresses keep their brackets).
    public var hostName: String { Self.split(Substring(host))?.name ?? host }

    /// Whether the host is an IP literal (stores are then addressed path-style).
    public var isIPLiteral: Bool { hostName.hasPrefix("[") || Self.ipv4(hostName) != nil }

    /// `localhost`, an IPv4 literal in 127.0.0.0/8, or `[::1]` (in any spelling of that address); nothing else,
    /// not `127.evil.example`, `localhost.evil.example`, `127.0.0.1.nip.io` or `[::ffff:127.0.0.1]`.
    public static func isLoopback(hostName: String) -> Bool {
        if hostName.lowercased() == "localhost" { return true }
        if let address = ipv4(hostName) { return address.first == 127 }
        guard hostName.hasPrefix("["), hostName.hasSuffix("]") else { return false }
        var address = in6_addr()
        let inner = String(hostName.dropFirst().dropLast())
        guard inet_pton(AF_INET6, inner, &address) == 1 else { return false }
        return withUnsafeBytes(of: &address) { bytes in bytes.dropLast().allSatisfy { $0 == 0 } && bytes.last == 1 }
    }

    /// The four octets of a dotted-quad IPv4 literal (decimal, no leading zeros), else `nil`.
    static func ipv4(_ name: String) -> [UInt8]? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber),
                part == "0" || !part.hasPrefix("0"), let value = UInt8(part)
            else { return nil }
            octets.append(value)
        }
        return octets
    }

    /// `name[:port]` → (name, port); `nil` when the name has characters no host name has or the port is not a
    /// number.
    private static func split(_ authority: Substring) -> (name: String, port: Int?)? {
        var name: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            name = authority[...close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
            guard name.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return nil
            }
        } else {
            let pieces = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            name = pieces[0]
            portText = pieces.count == 2 ? pieces[1] : nil
            guard
                name.allSatisfy({
                    $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_")
                })
            else { return nil }
        }
        guard !name.isEmpty else { return nil }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(portText), value <= 65535
            else { return nil }
            port = value
        }
        return (String(name), port)
    }
}
