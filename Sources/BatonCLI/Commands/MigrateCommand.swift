import ArgumentParser
import Baton
import BatonJQ
import Foundation

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade Baton's schema (idempotent).",
        discussion: """
            Applies the numbered migrations of schema `baton` in one transaction, under a \
            transaction-scoped advisory lock: running it twice at once is safe. `baton run` \
            migrates by itself when needed.

            Examples:
              baton migrate
              baton migrate --status
            """
    )

    @Flag(help: "List applied and pending migrations; change nothing.")
    var status = false

    @Flag(help: "With --status: print one JSON document.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = global.logger()
        if status {
            let rows = try await global.withConnection { try Store.migrationStatus($0) }
            if json {
                print(JSON.object([("migrations", .array(rows.map { row in
                    .object([("version", Format.json(row.version)), ("name", .string(row.name)),
                             ("applied_at", row.appliedAt.map(JSON.string) ?? .null)])
                }))]).serialized)
                return
            }
            for row in rows {
                let state = row.appliedAt.map { "applied \($0)" } ?? "pending"
                print("\(row.version)  \(row.name)  \(state)")
            }
            return
        }
        let (applied, names) = try await global.withConnection { conn in
            (try Store.migrate(conn), try Store.migrationStatus(conn))
        }
        if applied.isEmpty {
            print("schema baton is up to date (migration \(names.last?.version ?? 0))")
        } else {
            for version in applied {
                print("applied migration \(version): \(names.first { $0.version == version }?.name ?? "")")
            }
        }
    }
}
