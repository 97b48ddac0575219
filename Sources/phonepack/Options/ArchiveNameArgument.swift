import Glibc
import PhonePackCore

/// An entry name typed on the command line, as every name it may stand for: Swift's `CommandLine.arguments`
/// replaces bytes that are not UTF-8 (a Latin-1 name typed from a shell) with U+FFFD, so the argument's own
/// bytes are taken from `argv`; then the form `inspect --long` and `tar -tvf` print (`r\351.txt`), decoded.
enum ArchiveNameArgument {
    static func candidates(_ typed: String) -> [String] {
        var names = [typed]
        if typed.unicodeScalars.contains("\u{FFFD}") {
            for index in 0..<Int(CommandLine.argc) {
                guard let pointer = CommandLine.unsafeArgv[index] else { continue }
                let bytes = Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer))).map {
                    UInt8(bitPattern: $0)
                }
                if String(decoding: bytes, as: UTF8.self) == typed {
                    names.insert(ArchiveName.decode(bytes), at: 0)
                    break
                }
            }
        }
        if let printed = TarQuoting.unquote(ArchiveName.bytes(of: names[0])) {
            names.append(ArchiveName.decode(printed))
        }
        return names
    }
}
