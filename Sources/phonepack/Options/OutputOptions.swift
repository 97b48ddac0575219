import ArgumentParser

/// Flags every command that prints a result has.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on stdout instead of text (an error: a JSON object on stderr).")
    var json = false

    @Flag(name: .shortAndLong, help: "No progress or notices on stderr; results and errors only.")
    var quiet = false

    /// Nothing on stderr but errors: -q, or --json (whose stderr a script reads for the error object).
    var silent: Bool { json || quiet }
}
