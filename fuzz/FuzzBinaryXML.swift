// libFuzzer entry point for the binary AndroidManifest.xml parser: any bytes give a document or a BinaryXMLError.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinaryXML(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let document = try? BinaryXMLDocument(parsing: bytes) {
        for element in document.elements { _ = element.attributes.map(\.text) }
    }
    _ = try? APKInfo.parse(manifest: bytes, displayName: "fuzz")
    return 0
}
