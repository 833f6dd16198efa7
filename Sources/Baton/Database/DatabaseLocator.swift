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
    package func resolve(explicitURL: String?, notice: (String) -> Void) throws -> ConnectionConfig {
        switch choose(explicitURL: explicitURL) {
        case .url(let url, _): return ConnectionConfig(url: url)
        case .libpqEnvironment: return .environment
        case .embedded(let embedded):
            let cluster = try embedded.prepared()
            if let what = try cluster.start() {
                notice("no database configured: \(what)")
            }
            return cluster.config
        }
    }
}
