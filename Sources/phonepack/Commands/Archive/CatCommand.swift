import ArgumentParser
import PhonePackCore

struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print one entry of a tar to standard output, without unpacking anything else.",
        discussion: """
            PATH is the name in the archive (data/data/com.x/shared_prefs/a.xml) or the phone path \
            (/data/data/com.x/shared_prefs/a.xml). As with tar, the last entry of that name wins; a hard \
            link prints its target's data; a symlink is an error that names its target. A name that is not UTF-8 \
            can be typed as its bytes or as inspect --long (and tar -tvf) print it (r\\351.txt). An entry larger than \
            --max-size (a sparse file's holes count: a header can claim a terabyte of zeros) is refused before a \
            byte is written.

            Examples:
              phonepack cat export.tar /data/data/com.example.app/shared_prefs/settings.xml
              phonepack cat app.tar data/app/com.example.app-1/base.apk > base.apk
            """
    )

    @Argument(help: "The tar.", completion: .file())
    var archive: String

    @Argument(help: "The entry to print.")
    var path: String

    @Option(
        help:
            "Refuse an entry larger than this, holes of a sparse file counted (default 16G, as extract's --max-entry-size)."
    )
    var maxSize: ByteCount?

    func run() throws {
        try EntryReader.copyEntry(
            candidates: ArchiveNameArgument.candidates(path), from: archive, to: 1,
            maxSize: maxSize?.bytes ?? ExtractOptions.defaultMaxEntrySize)
    }
}
