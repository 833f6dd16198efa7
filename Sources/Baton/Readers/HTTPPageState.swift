/// Where an HTTP source's pagination is: what the next request is, and what is needed to
/// notice a loop. Kept as the reader's state (JSON), so it is committed with the records of
/// the page before it.
struct HTTPPageState: Codable, Hashable {
    /// Pages fetched before this one.
    var pages = 0
    /// The URL to fetch (next-URL and Link paginators); nil: the URL template.
    var url: String?
    var offset: Int?
    var page: Int?
    var token: String?
    /// Records of this page already seeded (a page split over chunks).
    var skip = 0
    /// No page left.
    var done = false
    /// Fingerprints of the last requests sent (a request sent again is a loop).
    var recent: [String] = []
    /// Checksum of the previous page's records (a server ignoring the paginator sends the
    /// same page again).
    var previousPage: String?
}
