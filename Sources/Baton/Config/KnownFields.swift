/// The fields the items reaching a stage are known to have, when that can be told from the
/// file alone (a CSV header, inline items, a jq stage ending in an object construction).
struct KnownFields {
    var names: [String]
    /// Where they come from, for hints: "the columns of data/orders.csv".
    var origin: String
}
