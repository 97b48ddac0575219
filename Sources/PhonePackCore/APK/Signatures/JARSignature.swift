import CLibCrypto
import FoundationEssentials

/// APK signature v1, JAR signing: `META-INF/MANIFEST.MF` lists every entry's digest, each signer's `.SF` file
/// the digests of the manifest (whole, or section by section), and its signature block (`.RSA`, `.EC`, `.DSA`)
/// is a PKCS #7 signature over the `.SF`. Verified as Android and apksig do: every entry outside the signature
/// files must be in the manifest with a digest that matches its uncompressed bytes, and a `.SF` saying
/// `X-Android-APK-Signed: 2` (or 3) refuses an APK whose v2 (v3) signature was stripped.
enum JARSignature {
    struct Signer {
        var name: String
        var certificate: SigningCertificate
    }

    /// The signers, or the first problem found.
    static func verify(
        file: OpenFile, layout: APKLayout, entries: [ZipCentralEntry], foundSchemes: Set<UInt32>
    ) throws(APKSignatureFailure) -> [Signer] {
        let manifestName = Array("META-INF/MANIFEST.MF".utf8)
        guard entries.contains(where: { $0.name == manifestName }) else {
            throw failure(.unsigned, "Missing META-INF/MANIFEST.MF: the APK has no JAR signature")
        }
        // The signature files are read whole (bounded), the entries' data only streamed into digests.
        let signatureFiles = entries.filter { isSignatureFile($0.name) || $0.name == manifestName }
        var contents: [[UInt8]: [UInt8]] = [:]
        do throws(PhonePackError) {
            let zip = try ZipReader(file: file, offset: layout.offset, length: layout.size)
            let wanted = Set(signatureFiles.map(\.name))
            var readError: PhonePackError?
            try zip.forEachEntry { name in
                guard readError == nil, wanted.contains(name), contents[name] == nil else { return }
                do throws(PhonePackError) {
                    contents[name] = try readWhole(zip, limit: 16 << 20, name: name)
                } catch {
                    readError = error
                }
            }
            if let readError { throw readError }
        } catch {
            throw failure(.malformed, "the signature files could not be read: \(error.message)")
        }
        guard let manifestBytes = contents[manifestName] else {
            throw failure(.unsigned, "Missing META-INF/MANIFEST.MF: the APK has no JAR signature")
        }
        let manifest = try JARManifest(manifestBytes, name: "META-INF/MANIFEST.MF")

        // Signers: each signature block with its .SF.
        var signers: [Signer] = []
        var signedSections: [Set<[UInt8]>?] = []  // per signer: the entry names its .SF covers (nil: all)
        for entry in entries where isSignatureBlock(entry.name) {
            let base = Array(entry.name[..<(entry.name.lastIndex(of: UInt8(ascii: "."))!)])
            let signerName = String(decoding: base.dropFirst(9), as: UTF8.self)
            guard let block = contents[entry.name], let sf = contents[base + Array(".SF".utf8)] else {
                throw failure(.unsigned, "\(entry.displayName) has no matching \(signerName).SF")
            }
            var verified: Int32 = 0
            let certificate = block.withUnsafeBufferPointer { der in
                sf.withUnsafeBufferPointer { data in
                    phonepack_pkcs7_verify_detached(der.baseAddress, der.count, data.baseAddress, data.count, &verified)
                }
            }
            guard let certificate else {
                throw failure(.malformed, "\(entry.displayName) is not a PKCS #7 signature with a certificate")
            }
            defer { X509_free(certificate) }
            guard verified == 1 else {
                throw failure(
                    .signatureInvalid, "\(entry.displayName)'s signature over \(signerName).SF does not verify")
            }
            let signatureFile = try JARManifest(sf, name: "META-INF/\(signerName).SF")
            try checkStripping(signatureFile, signer: signerName, found: foundSchemes)
            signedSections.append(try check(signatureFile, against: manifest, signer: signerName))
            signers.append(Signer(name: signerName, certificate: SigningCertificate(certificate)))
        }
        guard !signers.isEmpty else {
            throw failure(.unsigned, "no JAR signature block (.RSA, .EC or .DSA) in META-INF/")
        }

        // Entries: every one outside the signature files is in the manifest, signed by every signer, digests equal.
        var expected: [[UInt8]: (algorithm: DigestAlgorithm, digest: [UInt8])] = [:]
        for section in manifest.sections.dropFirst() {
            guard let name = section.name else { continue }
            guard let digest = section.digest() else {
                throw failure(
                    .unsupported,
                    "the manifest has no digest Android accepts for \(String(decoding: name, as: UTF8.self))")
            }
            expected[name] = digest
        }
        let names = Set(entries.map(\.name))
        for entry in entries where needsDigest(entry.name) {
            guard expected[entry.name] != nil else {
                throw failure(
                    .unsigned, "\(entry.displayName) is not protected by the signature (not in META-INF/MANIFEST.MF)")
            }
            for (index, covered) in signedSections.enumerated() where covered.map({ !$0.contains(entry.name) }) ?? false
            {
                throw failure(.unsigned, "\(entry.displayName) is not signed by \(signers[index].name).SF")
            }
        }
        for name in expected.keys where !names.contains(name) {
            throw failure(
                .digestMismatch, "the manifest names \(String(decoding: name, as: UTF8.self)), which is not in the APK")
        }
        var mismatch: APKSignatureFailure?
        do throws(PhonePackError) {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
            defer { buffer.deallocate() }
            let reader = try ZipReader(file: file, offset: layout.offset, length: layout.size)
            var readError: PhonePackError?
            try reader.forEachEntry { name in
                guard mismatch == nil, readError == nil, let want = expected[name] else { return }
                var digest = Digest(want.algorithm)
                do throws(PhonePackError) {
                    while true {
                        let n = try reader.readChunk(into: buffer)
                        if n == 0 { break }
                        digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                    }
                } catch {
                    readError = error
                    return
                }
                if digest.finalize() != want.digest {
                    mismatch = failure(
                        .digestMismatch,
                        "\(String(decoding: name, as: UTF8.self)) does not match its digest in META-INF/MANIFEST.MF")
                }
            }
            if let readError { throw readError }
        } catch {
            throw failure(.digestMismatch, "an entry could not be read back: \(error.message)")
        }
        if let mismatch { throw mismatch }
        return signers
    }

    /// The .SF's digests of the manifest: the whole file, or else the main section and each entry's section.
    /// Returns the entry names this signer covers (`nil` when the whole manifest verified).
    private static func check(_ sf: JARManifest, against manifest: JARManifest, signer: String)
        throws(APKSignatureFailure) -> Set<[UInt8]>?
    {
        let main = sf.sections[0]
        if let whole = main.digest(suffix: "-Digest-Manifest"),
            Digest.hash(whole.algorithm, manifest.bytes) == whole.digest
        {
            return nil
        }
        if let mainAttributes = main.digest(suffix: "-Digest-Manifest-Main-Attributes") {
            let section = manifest.sections[0]
            guard Digest.hash(mainAttributes.algorithm, manifest.bytes[section.range]) == mainAttributes.digest else {
                throw failure(.digestMismatch, "\(signer).SF's digest of the manifest's main section does not match")
            }
        }
        let byName = Dictionary(
            manifest.sections.dropFirst().compactMap { section in section.name.map { ($0, section) } },
            uniquingKeysWith: { first, _ in first })
        var covered: Set<[UInt8]> = []
        for section in sf.sections.dropFirst() {
            guard let name = section.name else { continue }
            guard let target = byName[name] else {
                throw failure(
                    .digestMismatch,
                    "\(signer).SF names \(String(decoding: name, as: UTF8.self)), which the manifest does not")
            }
            guard let want = section.digest() else {
                throw failure(
                    .unsupported,
                    "\(signer).SF has no digest Android accepts for \(String(decoding: name, as: UTF8.self))")
            }
            guard Digest.hash(want.algorithm, manifest.bytes[target.range]) == want.digest else {
                throw failure(
                    .digestMismatch,
                    "\(signer).SF's digest of the manifest section for \(String(decoding: name, as: UTF8.self)) does not match"
                )
            }
            covered.insert(name)
        }
        return covered
    }

    /// `X-Android-APK-Signed: 2, 3`: the APK was also signed with those schemes; one missing was stripped.
    private static func checkStripping(_ sf: JARManifest, signer: String, found: Set<UInt32>)
        throws(APKSignatureFailure)
    {
        guard let value = sf.sections[0].attribute("X-Android-APK-Signed") else { return }
        for word in String(decoding: value, as: UTF8.self).split(separator: ",") {
            guard let id = UInt32(String(word.filter { $0 != " " && $0 != "\t" })), id == 2 || id == 3 else { continue }
            if !found.contains(id) {
                throw failure(
                    .stripped,
                    "\(signer).SF says the APK is signed with APK Signature Scheme v\(id), but there is no such signature (stripped?)"
                )
            }
        }
    }

    private static func readWhole(_ zip: ZipReader, limit: Int, name: [UInt8]) throws(PhonePackError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = try chunk.withUnsafeMutableBytes { raw in
                Result { () throws(PhonePackError) in try zip.readChunk(into: raw) }
            }.get()
            if n == 0 { return out }
            out += chunk[0..<n]
            guard out.count <= limit else {
                throw PhonePackError(
                    .invalidInput, operation: "read APK", path: zip.displayName,
                    message: "\(String(decoding: name, as: UTF8.self)) is larger than \(limit) bytes")
            }
        }
    }

    /// Directly under META-INF/: `MANIFEST.MF`-independent signature files (`.SF`, `.RSA`, `.DSA`, `.EC`, `SIG-*`).
    static func isSignatureFile(_ name: [UInt8]) -> Bool {
        guard let base = directlyInMetaINF(name) else { return false }
        let upper = base.uppercased()
        return upper.hasSuffix(".SF") || upper.hasSuffix(".RSA") || upper.hasSuffix(".DSA") || upper.hasSuffix(".EC")
            || upper.hasPrefix("SIG-")
    }

    static func isSignatureBlock(_ name: [UInt8]) -> Bool {
        guard let base = directlyInMetaINF(name) else { return false }
        let upper = base.uppercased()
        return upper.hasSuffix(".RSA") || upper.hasSuffix(".DSA") || upper.hasSuffix(".EC")
    }

    /// Whether the manifest must list this entry: all but folders, the manifest and the signature files.
    static func needsDigest(_ name: [UInt8]) -> Bool {
        if name.last == UInt8(ascii: "/") { return false }
        if name == Array("META-INF/MANIFEST.MF".utf8) { return false }
        return !isSignatureFile(name)
    }

    private static func directlyInMetaINF(_ name: [UInt8]) -> String? {
        let prefix = Array("META-INF/".utf8)
        guard name.count > prefix.count, Array(name.prefix(prefix.count)) == prefix else { return nil }
        let rest = name.dropFirst(prefix.count)
        guard !rest.contains(UInt8(ascii: "/")) else { return nil }
        return String(decoding: rest, as: UTF8.self)
    }

    static func failure(_ code: APKSignatureFailure.Code, _ message: String) -> APKSignatureFailure {
        APKSignatureFailure(code, scheme: "v1", message)
    }
}

/// A JAR manifest or signature file: sections of `Name: value` lines (continued by lines starting with a space)
/// separated by blank lines, each section's bytes kept, since the `.SF` digests them exactly.
struct JARManifest {
    struct Section {
        var range: Range<Int>
        var attributes: [(key: String, value: [UInt8])]

        func attribute(_ key: String) -> [UInt8]? {
            let lower = key.lowercased()
            return attributes.first { $0.key == lower }?.value
        }

        var name: [UInt8]? { attribute("Name") }

        /// The strongest `<ALG><suffix>` digest the section has that Android accepts.
        func digest(suffix: String = "-Digest") -> (algorithm: DigestAlgorithm, digest: [UInt8])? {
            for (prefix, algorithm) in [
                ("SHA-512", DigestAlgorithm.sha512), ("SHA-384", .sha384), ("SHA-256", .sha256), ("SHA1", .sha1),
                ("SHA-1", .sha1),
            ] {
                if let value = attribute(prefix + suffix),
                    let digest = Data(
                        base64Encoded: String(decoding: value.filter { $0 != 0x20 && $0 != 0x09 }, as: UTF8.self))
                {
                    return (algorithm, Array(digest))
                }
            }
            return nil
        }
    }

    let bytes: [UInt8]
    var sections: [Section] = []

    init(_ bytes: [UInt8], name: String) throws(APKSignatureFailure) {
        self.bytes = bytes
        var start = 0
        var attributes: [(key: String, value: [UInt8])] = []
        var at = 0
        var lineCount = 0
        while at < bytes.count {
            // One line and its terminator (\r\n, \n or \r).
            var end = at
            while end < bytes.count, bytes[end] != 0x0a, bytes[end] != 0x0d { end += 1 }
            var next = end
            if next < bytes.count {
                next += bytes[next] == 0x0d && next + 1 < bytes.count && bytes[next + 1] == 0x0a ? 2 : 1
            }
            let line = bytes[at..<end]
            lineCount += 1
            if line.isEmpty {
                if !attributes.isEmpty || sections.isEmpty {
                    sections.append(Section(range: start..<next, attributes: attributes))
                }
                attributes = []
                start = next
            } else if line.first == 0x20 {
                guard !attributes.isEmpty else {
                    throw JARSignature.failure(.malformed, "\(name) line \(lineCount) continues nothing")
                }
                attributes[attributes.count - 1].value += line.dropFirst()
            } else {
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon + 1 < end, bytes[colon + 1] == 0x20
                else {
                    throw JARSignature.failure(.malformed, "\(name) line \(lineCount) is not 'Name: value'")
                }
                attributes.append(
                    (String(decoding: bytes[at..<colon], as: UTF8.self).lowercased(), Array(bytes[(colon + 2)..<end])))
            }
            at = next
        }
        if !attributes.isEmpty || sections.isEmpty {
            sections.append(Section(range: start..<bytes.count, attributes: attributes))
        }
    }
}
