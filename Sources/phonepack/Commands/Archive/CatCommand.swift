import ArgumentParser
import PhonePackCore

struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print one entry of a tar to standard output, without unpacking anything else.",
        discussion: """
            PATH is the name in the archive (data/data/com.x/shared_prefs/a.xml) or the phone path \
            (/data/data/com.x/shared_prefs/a.xml). As with tar, the last entry of that name wins; a hard \
            link prints its target's data; a symlink is an error that names its target.

            Examples:
              phonepack cat export.tar /data/data/com.example.app/shared_prefs/a.xml
              phonepack cat app.tar data/app/com.example.app-1/base.apk > base.apk
            """
    )

    @Argument(help: "The tar.")
    var archive: String

    @Argument(help: "The entry to print.")
    var path: String

    func run() throws {
        try EntryReader.copyEntry(path, from: archive, to: 1)
    }
}
