package import BatonPostgres
import Foundation

/// Which database Baton uses, first found: `--database-url`, `BATON_DATABASE_URL`,
/// `DATABASE_URL`, the standard libpq environment (`PGHOST`, `PGDATABASE`, `PGSERVICE`, and
/// with them `~/.pgpass`); with none of them, the embedded cluster under `.baton/postgres`.
package struct DatabaseLocator: Sendable {
    package enum Choice: Sendable {
        case url(String, from: String)
        case libpqEnvironment
        case embedded(EmbeddedPostgres)
    }

    package var environment: [String: String]

    package init(environment: [String: String]? = nil) {
        self.environment = environment ?? ProcessInfo.processInfo.environment
    }

    package func choose(explicitURL: String?) -> Choice {
        if let url = explicitURL, !url.isEmpty { return .url(url, from: "--database-url") }
        for name in ["BATON_DATABASE_URL", "DATABASE_URL"] {
            if let url = environment[name], !url.isEmpty { return .url(url, from: name) }
        }
        if ["PGHOST", "PGDATABASE", "PGSERVICE"].contains(where: { !(environment[$0] ?? "").isEmpty }) {
            return .libpqEnvironment
        }
        return .embedded(EmbeddedPostgres())
    }

    /// The connection config, starting the embedded cluster if that is the choice (`notice`
    /// receives the one line saying so, only when the cluster was created or started).
    ///
    /// The pooler mode (``PoolerMode``), first found: `pooler` (`--pooler`), the URL's
    /// `baton_pooler=MODE` parameter (taken out of the URL: libpq does not know it),
    /// `BATON_POOLER`, else `auto` (detected on each connection).
    package func resolve(explicitURL: String?, pooler: PoolerMode? = nil, notice: (String) -> Void) throws -> ConnectionConfig {
        var config: ConnectionConfig
        var fromURL: PoolerMode?
        switch choose(explicitURL: explicitURL) {
        case .url(let url, _):
            let (stripped, mode) = try DatabaseLocator.poolerParameter(in: url)
            config = ConnectionConfig(url: stripped)
            fromURL = mode
        case .libpqEnvironment: config = .environment
        case .embedded(let embedded):
            let cluster = try embedded.prepared()
            if let what = try cluster.start() {
                notice("no database configured: \(what)")
            }
            config = cluster.config
        }
        config.pooler = try pooler ?? fromURL ?? environment["BATON_POOLER"].flatMap { $0.isEmpty ? nil : try DatabaseLocator.poolerMode($0, from: "BATON_POOLER") } ?? .auto
        return config
    }

    /// `MODE` of `BATON_POOLER=MODE` or `baton_pooler=MODE`.
    package static func poolerMode(_ text: String, from origin: String) throws -> PoolerMode {
        guard let mode = PoolerMode(rawValue: text.lowercased()) else {
            throw BatonError(.usage, "\(origin): unknown pooler mode `\(text)` (expected one of: \(PoolerMode.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return mode
    }

    /// The URL without its `baton_pooler=MODE` query parameter, and the mode it gave.
    static func poolerParameter(in url: String) throws -> (url: String, mode: PoolerMode?) {
        guard url.contains("://"), let question = url.firstIndex(of: "?") else { return (url, nil) }
        var mode: PoolerMode?
        var kept: [Substring] = []
        for parameter in url[url.index(after: question)...].split(separator: "&") {
            if parameter.hasPrefix("baton_pooler=") {
                mode = try poolerMode(String(parameter.dropFirst("baton_pooler=".count)), from: "the database URL's baton_pooler")
            } else {
                kept.append(parameter)
            }
        }
        let base = String(url[..<question])
        return (kept.isEmpty ? base : base + "?" + kept.joined(separator: "&"), mode)
    }
}
