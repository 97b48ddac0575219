import PhonePackCore

/// Keeps a paged listing finite whatever the server answers: a continuation marker the server already gave
/// means it is going round in circles, pages that bring nothing while promising more mean it is stalling, and no
/// listing phonepack reads needs more than `limit` pages.
struct PageGuard {
    /// What is being listed and where, for the error line.
    let what: String
    let limit: Int
    private var markers: Set<String> = []
    private(set) var pages = 0
    /// Empty pages in a row that still promised more. Stores may send an empty page now and then (S3 documents it);
    /// three in a row, each with a new marker, is a server that would keep phonepack listing for ever.
    private var emptyInARow = 0
    static let emptyPagesAllowed = 3

    init(_ what: String, limit: Int = 10_000) {
        self.what = what
        self.limit = limit
    }

    /// Counts the page just read (which brought `items` entries) and returns the marker of the next one (`nil`
    /// when the listing is complete); throws when the marker repeats, pages keep coming empty, or the page budget
    /// is spent.
    mutating func next(_ marker: String?, items: Int) throws(PhonePackError) -> String? {
        try countPage()
        guard let marker, !marker.isEmpty else { return nil }
        emptyInARow = items == 0 ? emptyInARow + 1 : 0
        if emptyInARow >= Self.emptyPagesAllowed {
            throw PhonePackError(
                .service, operation: what, path: nil,
                message:
                    "the service sent \(emptyInARow) pages in a row with nothing on them, each promising more (after \(pages) pages): phonepack stopped rather than list for ever"
            )
        }
        guard markers.insert(marker).inserted else {
            throw PhonePackError(
                .service, operation: what, path: nil,
                message:
                    "the service gave continuation marker \"\(marker.terminalSafe)\" twice (after \(pages) pages): its listing goes round in circles, so phonepack stopped"
            )
        }
        return marker
    }

    /// Counts a page of an offset-paged listing, whose ids stand in for a marker: a page that brings no id not
    /// seen before means the server ignores the offset and would answer the same page for ever.
    mutating func next(ids: [String]) throws(PhonePackError) {
        try countPage()
        guard !ids.isEmpty else { return }
        var fresh = false
        for id in ids where markers.insert(id).inserted { fresh = true }
        if !fresh {
            throw PhonePackError(
                .service, operation: what, path: nil,
                message:
                    "the service answered page \(pages) with only entries it had already sent: it ignores the offset, so phonepack stopped"
            )
        }
    }

    /// Counts a page of an offset-paged listing (no marker to compare).
    private mutating func countPage() throws(PhonePackError) {
        pages += 1
        if pages > limit {
            throw PhonePackError(
                .service, operation: what, path: nil,
                message:
                    "the service is still sending pages after \(limit); phonepack stopped (list a narrower prefix or fewer ids)"
            )
        }
    }
}
