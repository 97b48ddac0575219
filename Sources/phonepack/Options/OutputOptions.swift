import ArgumentParser

/// Flags every command that prints a result has.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on stdout instead of text.")
    var json = false
}
