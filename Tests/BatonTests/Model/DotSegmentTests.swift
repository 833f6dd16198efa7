@testable import Baton
import Testing

/// The check that keeps an item's values from turning a URL's path into another resource's
/// (`/users/{{ .id }}/delete` with id `..`): which path segments are `.` or `..`.
@Suite("Dot segments in a rendered URL")
struct DotSegmentTests {
    @Test(arguments: [
        ("http://h/a/../b", ".."), ("http://h/./x", "."), ("http://h/x/..", ".."), ("https://h:8080/x/.?q=1", "."),
        ("http://h/x/.#frag", "."), ("http://h/a/b/../..", ".."),
    ])
    func aDotSegmentOfThePathIsFound(url: String, segment: String) {
        #expect(HTTPRequestBuilder.dotSegment(inPathOf: url) == segment)
    }

    @Test(arguments: [
        "http://h", "http://h/", "http://h/a.b/..c/.d/x..", "http://h/x?y=/../z", "http://h?/../", "http://h#/./",
        "http://h/x/...", "no-scheme/../x", "http://h//x", "http://h/%2e%2e/x",
    ])
    func dotsThatAreNotAPathSegmentAreNot(url: String) {
        #expect(HTTPRequestBuilder.dotSegment(inPathOf: url) == nil)
    }
}
