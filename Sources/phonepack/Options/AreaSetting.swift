import ArgumentParser
import PhonePackCore

/// `--owner AREA=UID:GID`, e.g. `data=10123:10123`; checked by the parser.
struct AreaOwner: ExpressibleByArgument, Sendable {
    var area: SharedAppLayout.Area
    var uid: UInt32
    var gid: UInt32

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1)
        let ids = parts.count == 2 ? parts[1].split(separator: ":") : []
        guard ids.count == 2, let area = SharedAppLayout.Area(rawValue: String(parts[0])), let uid = UInt32(ids[0]),
            let gid = UInt32(ids[1])
        else { return nil }
        (self.area, self.uid, self.gid) = (area, uid, gid)
    }
}

/// `--mode AREA=DIRMODE:FILEMODE` in octal without setuid bits, e.g. `data=0771:0660`; checked by the parser.
struct AreaModes: ExpressibleByArgument, Sendable {
    var area: SharedAppLayout.Area
    var directoryMode: UInt32
    var fileMode: UInt32

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1)
        let modes = parts.count == 2 ? parts[1].split(separator: ":") : []
        guard modes.count == 2, let area = SharedAppLayout.Area(rawValue: String(parts[0])),
            let directory = UInt32(modes[0], radix: 8), let file = UInt32(modes[1], radix: 8), directory <= 0o777,
            file <= 0o777
        else { return nil }
        (self.area, directoryMode, fileMode) = (area, directory, file)
    }
}

extension [SharedAppLayout.Area: AreaOwnership] {
    /// The areas' ownership with `--owner` and `--mode` applied over Android's defaults.
    init(owners: [AreaOwner], modes: [AreaModes]) {
        self = [:]
        for owner in owners {
            self[owner.area, default: .androidDefault(owner.area)].uid = owner.uid
            self[owner.area, default: .androidDefault(owner.area)].gid = owner.gid
        }
        for mode in modes {
            self[mode.area, default: .androidDefault(mode.area)].directoryMode = mode.directoryMode
            self[mode.area, default: .androidDefault(mode.area)].fileMode = mode.fileMode
        }
    }
}
