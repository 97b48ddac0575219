import PhonePackCloud
import Testing

@Suite("Key wildcards: * within a level, ** across levels, ? one character")
struct KeyPatternTests {
    @Test(
        "matches",
        arguments: [
            ("a/*.tar", "a/x.tar", true), ("a/*.tar", "a/b/x.tar", false), ("a/**.tar", "a/b/x.tar", true),
            ("a/**/x.tar", "a/b/c/x.tar", true), ("a/?.tar", "a/x.tar", true), ("a/?.tar", "a/xy.tar", false),
            ("a/?", "a//", false), ("*", "", true), ("a/*", "a/", true), ("a/**", "a/b/c", true),
            ("caf\u{E9}/*", "cafe\u{301}/x", false), ("caf\u{E9}/*", "caf\u{E9}/x", true), ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY/c", false),
        ])
    func matches(pattern: String, key: String, expected: Bool) {
        #expect(KeyPattern(pattern).matches(key) == expected)
    }

    @Test("the listing prefix is everything before the first wildcard")
    func prefix() {
        #expect(KeyPattern("exports/2026-*/phone?.tar").prefix == "exports/2026-")
        #expect(KeyPattern("**").prefix == "")
        #expect(KeyPattern("plain/key").prefix == "plain/key" && !KeyPattern.hasWildcards("plain/key"))
    }
}
