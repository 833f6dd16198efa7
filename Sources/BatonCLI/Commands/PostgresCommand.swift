import ArgumentParser
import Baton
import BatonJQ

struct PostgresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "Manage the local Postgres Baton starts when no database is configured.",
        discussion: """
            With no --database-url, BATON_DATABASE_URL, DATABASE_URL, PGHOST, PGDATABASE or PGSERVICE, \
            Baton uses the cluster in the first .baton/postgres found in the current folder or a folder \
            above it (like git finds .git), and creates one in the current folder only when there is \
            none. It listens on a unix socket in that folder only.

            Examples:
              baton postgres status
              baton postgres stop
            """,
        subcommands: [Stop.self, Start.self, Status.self]
    )

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the local Postgres (.baton/postgres).",
            discussion: """
                Its data stays in .baton/postgres; the next command that uses it starts it again.

                Example:
                  baton postgres stop
                """
        )
        func run() throws {
            let embedded = EmbeddedPostgres()
            if try embedded.stop() {
                print("stopped the local Postgres in \(embedded.directory)")
            } else {
                print("the local Postgres in \(embedded.directory) is not running")
            }
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create and start the local Postgres (.baton/postgres).",
            discussion: """
                Creates the cluster on first use. Commands that need a database start it by themselves.

                Example:
                  baton postgres start
                """
        )
        func run() throws {
            let embedded = try EmbeddedPostgres().prepared()
            print(try embedded.start() ?? "the local Postgres in \(embedded.directory) is already running")
            print("connect with: \(embedded.psqlCommand)")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say whether the local Postgres runs, and how to reach it with psql.",
            discussion: """
                Exit 0 when it runs, 3 when it is stopped or was never created (like pg_ctl status).

                Examples:
                  baton postgres status
                  baton postgres status --json
                """
        )

        @Flag(help: "Print one JSON document.")
        var json = false

        func run() throws {
            let embedded = EmbeddedPostgres()
            let running = embedded.isRunning
            if json {
                print(JSON.object([
                    ("directory", .string(embedded.directory)), ("exists", .bool(embedded.exists)), ("running", .bool(running)),
                    ("host", .string(embedded.directory)), ("dbname", .string(EmbeddedPostgres.databaseName)), ("user", .string("postgres")),
                    ("url", .string("postgresql:///\(EmbeddedPostgres.databaseName)?host=\(embedded.directory)&user=postgres")),
                    ("psql", .string(embedded.psqlCommand)),
                ]).serialized)
            } else if running {
                print("the local Postgres in \(embedded.directory) is running")
                print("connect with: \(embedded.psqlCommand)")
            } else if embedded.exists {
                print("the local Postgres in \(embedded.directory) is not running (start it with `baton postgres start`)")
            } else {
                print("no local Postgres: none in the current folder or above (it would be created in \(embedded.directory))")
            }
            // The local cluster is only the default: say when the other commands use another database.
            if !json, case .url(_, let from) = DatabaseLocator().choose(explicitURL: nil) {
                print("note: \(from) is set, so the other baton commands use that database, not this local one")
            } else if !json, case .libpqEnvironment = DatabaseLocator().choose(explicitURL: nil) {
                print("note: PGHOST, PGDATABASE or PGSERVICE is set, so the other baton commands use that database, not this local one")
            }
            if !running { throw ExitCode(BatonExit.notRunning.rawValue) }
        }
    }
}
