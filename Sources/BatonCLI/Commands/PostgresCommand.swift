import ArgumentParser
import Baton

struct PostgresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "Manage the local Postgres Baton starts when no database is configured.",
        discussion: """
            With no --database-url, BATON_DATABASE_URL, DATABASE_URL, PGHOST, PGDATABASE or PGSERVICE, \
            Baton starts (or reuses) a cluster under .baton/postgres in the current directory, \
            listening on a unix socket in that folder only.

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
            print(try EmbeddedPostgres().prepared().start())
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say whether the local Postgres runs.",
            discussion: """
                Example:
                  baton postgres status
                """
        )
        func run() throws {
            let embedded = EmbeddedPostgres()
            print(embedded.isRunning ? "running in \(embedded.directory)" : "not running (\(embedded.directory))")
        }
    }
}
