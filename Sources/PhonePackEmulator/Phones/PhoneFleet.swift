import Foundation
import PhonePackCloud
import PhonePackCore
import Synchronization

/// The emulated phones' storage: one folder per phone under `root`, laid out like Android's `/`
/// (`data/data`, `data/app`, `data/media/0`, `sdcard` → `data/media/0`). Owners, modes and SELinux labels are
/// not stored; they follow Android's rules for each area (see ``ownership(of:)``), as an export shows them.
public struct PhoneFleet: Sendable {
    public let root: String
    /// Tars pushed to phones and not unpacked yet: a push to 10,000 servers should cost the emulator nothing
    /// until a phone is looked at, so its time stays the emulated job time.
    private let pending = PendingUnpacks()
    /// What each phone has installed, and what it refuses to install.
    let packages: PackageManager

    public init(root: String, apiLevel: Int = 30, abis: [String] = ["arm64-v8a"]) {
        self.root = root
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        packages = PackageManager(root: root, apiLevel: apiLevel, abis: abis)
    }

    /// Records that `tar` is to be unpacked at the `/` of each phone; done when the phone is next used.
    func schedule(tar: String, into phones: [String]) { pending.add(tar, to: phones) }

    /// The phone's `/`, created with a few files on first use so an export has something to show.
    func phoneRoot(_ id: String) throws -> String {
        let path = root + "/" + id
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            for folder in ["data/local/tmp", "data/media/0/Download", "data/system", "cache"] {
                try fm.createDirectory(atPath: path + "/" + folder, withIntermediateDirectories: true)
            }
            let release =
                [28: "9", 29: "10", 30: "11", 31: "12", 32: "12", 33: "13", 34: "14", 35: "15"][
                    packages.apiLevel] ?? "\(packages.apiLevel)"
            try Data(
                "ro.product.model=phonepack-emulated\nro.build.version.release=\(release)\nro.build.version.sdk=\(packages.apiLevel)\n"
                    .utf8
            )
            .write(to: URL(fileURLWithPath: path + "/data/local/tmp/build.prop"))
        }
        for tar in pending.take(id) {
            var options = ExtractOptions(destination: path, filter: try ExportPathFilter())
            options.overwrite = true
            _ = try SafeExtractor.extract(archive: tar, options: options)
        }
        return path
    }

    /// A phone path (`/sdcard/Download/x`) as a path in the emulator's folder.
    func hostPath(_ id: String, _ phonePath: String) throws -> String {
        var path = phonePath
        if path.isBytes("/sdcard") || path.hasPrefixBytes("/sdcard/") {
            path = "/data/media/0" + String(path.utf8.dropFirst(7))!
        }
        let parts = pathComponents(path)
        guard !parts.contains(where: { $0.isBytes("..") || $0.isBytes(".") }), path.hasPrefixBytes("/") else {
            throw EmulatedFailure(code: "InvalidPath", message: "\(phonePath) is not an absolute phone path")
        }
        return try phoneRoot(id) + "/" + parts.joined(separator: "/")
    }

    /// Copies a file onto the phone (SendFile).
    func place(file: String, into id: String, at phonePath: String) throws {
        let destination = try hostPath(id, phonePath)
        let fm = FileManager.default
        try fm.createDirectory(
            atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if fm.fileExists(atPath: destination) { try fm.removeItem(atPath: destination) }
        try fm.copyItem(atPath: file, toPath: destination)
    }

    /// Installs an APK the way the phone would, or refuses it as PackageManager would (the error's code is
    /// Android's): `/data/app/<package>-1/base.apk` and an empty data folder. Returns the package name.
    func install(apk: String, into id: String) throws -> String {
        let candidate = try packages.candidate(apk)
        if let refusal = packages.refusal(candidate, on: id) { throw refusal }
        let package = candidate.info.packageName
        try place(file: apk, into: id, at: "/data/app/\(package)-1/base.apk")
        try FileManager.default.createDirectory(
            atPath: try hostPath(id, "/data/data/\(package)"), withIntermediateDirectories: true)
        packages.record(candidate, on: id)
        return package
    }

    /// Removes an app's code and data folders from a phone.
    func uninstall(_ package: String, from id: String) {
        for folder in ["/data/data/\(package)", "/data/app/\(package)-1"] {
            if let path = try? hostPath(id, folder) { try? FileManager.default.removeItem(atPath: path) }
        }
        packages.remove(package, from: id)
    }

    /// Writes a tar of the phone's `/data` and `/cache` entries that `filter` selects, with Android owners,
    /// modes and SELinux labels, the way the export API packs them.
    func exportTar(_ id: String, filter: ExportPathFilter, to output: String) throws -> Int {
        let base = try phoneRoot(id)
        var paths: [String] = []
        for top in ["data", "cache"] {
            guard let walker = FileManager.default.enumerator(atPath: base + "/" + top) else { continue }
            paths.append(top)
            while let relative = walker.nextObject() as? String { paths.append(top + "/" + relative) }
        }
        let file = try OpenFile.forUpdating(output)
        let writer = try TarWriter(output: file, hashing: false)
        var count = 0
        for path in paths.sorted() where filter.selects(path) && !filter.selectsEverything {
            let attributes = try FileManager.default.attributesOfItem(atPath: base + "/" + path)
            let isDirectory = attributes[.type] as? FileAttributeType == .typeDirectory
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            let owner = Self.ownership(of: "/" + path, directory: isDirectory)
            try writer.writeHeader(
                TarEntryHeader(
                    path: isDirectory ? path + "/" : path, kind: isDirectory ? .directory : .file(size: size),
                    permissions: owner.mode, uid: owner.uid, gid: owner.gid, mtime: FileTime(seconds: CloudTime.now()),
                    xattrs: [("security.selinux", Array(owner.label.utf8) + [0])]))
            if !isDirectory {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: base + "/" + path))
                try bytes.withUnsafeBytes { raw throws in
                    do { try writer.writeData(raw) } catch { throw error as any Error }
                }
            }
            count += 1
        }
        _ = try writer.finish()
        return count
    }

    /// Android's owner, mode and label for a phone path.
    static func ownership(of path: String, directory: Bool) -> (uid: UInt32, gid: UInt32, mode: UInt32, label: String) {
        let parts = pathComponents(path).map(String.init)
        if parts.count >= 3, parts[0] == "data", parts[1] == "data" {
            let uid = appUID(parts[2])
            let category = "c\(uid % 256),c\(256 + uid / 256 % 256),c512,c768"
            return (
                uid, uid, directory ? (parts.count == 3 ? 0o700 : 0o771) : 0o660,
                "u:object_r:app_data_file:s0:\(category)"
            )
        }
        if parts.count >= 2, parts[0] == "data", parts[1] == "app" {
            return (1000, 1000, directory ? 0o755 : 0o644, "u:object_r:apk_data_file:s0")
        }
        if parts.count >= 2, parts[0] == "data", parts[1] == "media" {
            return (1023, 1023, directory ? 0o771 : 0o660, "u:object_r:media_rw_data_file:s0")
        }
        return (1000, 1000, directory ? 0o771 : 0o660, "u:object_r:system_data_file:s0")
    }

    /// A stable app uid per package, as Android assigns one at install (10000 + n).
    static func appUID(_ package: String) -> UInt32 {
        10_000 + UInt32(Digest.hash(.sha256, Array(package.utf8)).prefix(2).reduce(0) { $0 << 8 | Int($1) } % 9000)
    }

    /// The versionCode of the APK installed for `package` (`/data/app/<package>-*/base.apk`).
    func installedVersionCode(_ id: String, _ package: String) -> Int64? {
        guard let app = try? hostPath(id, "/data/app"),
            let folder = (try? FileManager.default.contentsOfDirectory(atPath: app))?.sorted().first(where: {
                $0.hasPrefix(package + "-")
            })
        else { return nil }
        return (try? APKInfo.read(path: app + "/" + folder + "/base.apk"))?.versionCode
    }

    /// A few shell commands, enough for tests and the demo: `ls`, `cat`, `echo`, `getprop`, `pm list packages`,
    /// `pm install`.
    func shell(_ id: String, _ command: String) -> (ok: Bool, output: String) {
        let words = command.split(separator: " ").map(String.init)
        do {
            switch words.first {
            case "echo":
                return (true, words.dropFirst().joined(separator: " "))
            case "ls":
                let target = try hostPath(id, words.count > 1 ? words[1] : "/data/local/tmp")
                let names = try FileManager.default.contentsOfDirectory(atPath: target).sorted()
                return (true, names.joined(separator: "\n"))
            case "cat" where words.count > 1:
                return (true, try String(contentsOfFile: try hostPath(id, words[1]), encoding: .utf8))
            case "getprop":
                let props = try String(contentsOfFile: try hostPath(id, "/data/local/tmp/build.prop"), encoding: .utf8)
                let wanted = words.count > 1 ? words[1] + "=" : ""
                let lines = props.split(separator: "\n").filter { $0.hasPrefix(wanted) }
                return (
                    true,
                    lines.map { wanted.isEmpty ? String($0) : String($0.dropFirst(wanted.count)) }.joined(
                        separator: "\n")
                )
            case "pm" where words.count >= 3 && words[1] == "install":
                // `pm install [-r] [-t] [-d] PATH`: Android's answer, "Success" or "Failure [INSTALL_…: …]".
                guard let path = words.dropFirst(2).last(where: { !$0.hasPrefix("-") }) else {
                    return (false, "Error: no package specified")
                }
                do {
                    _ = try install(apk: try hostPath(id, path), into: id)
                    return (true, "Success")
                } catch let refusal as EmulatedFailure {
                    return (false, refusal.message)
                }
            case "pm" where words.dropFirst().prefix(2) == ["list", "packages"]:
                // Android's options that matter here: --show-versioncode, and a filter (a substring of the name).
                let options = words.dropFirst(3)
                let versions = options.contains("--show-versioncode")
                let filter = options.first { !$0.hasPrefix("-") }
                let names = (try? FileManager.default.contentsOfDirectory(atPath: try hostPath(id, "/data/data"))) ?? []
                let lines = names.sorted().filter { filter.map($0.contains) ?? true }.map { name in
                    guard versions else { return "package:\(name)" }
                    return "package:\(name) versionCode:\(installedVersionCode(id, name).map(String.init) ?? "0")"
                }
                return (true, lines.joined(separator: "\n"))
            default:
                return (
                    false,
                    "/system/bin/sh: \(words.first ?? ""): not found in the emulator (ls, cat, echo, getprop, pm list packages, pm install)"
                )
            }
        } catch {
            return (false, "\(error)")
        }
    }
}

/// Tars waiting to be unpacked, per phone, in push order.
final class PendingUnpacks: Sendable {
    private let tars = Mutex<[String: [String]]>([:])
    func add(_ tar: String, to phones: [String]) {
        tars.withLock { for phone in phones { $0[phone, default: []].append(tar) } }
    }
    func take(_ phone: String) -> [String] { tars.withLock { $0.removeValue(forKey: phone) ?? [] } }
}

/// A failure of an emulated job or request, with the code the emulator reports.
struct EmulatedFailure: Error, Sendable {
    var code: String
    var message: String
}
