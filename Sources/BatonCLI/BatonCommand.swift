import ArgumentParser

struct BatonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton",
        abstract: "Run data pipelines on a Postgres transactional outbox.",
        discussion: """
            A pipeline file (YAML) declares a source and a chain of stages (jq, sql, http, exec). \
            Every stage claims items from a Postgres queue, transforms them, and commits its results, \
            the next stage's items and its own completion in ONE transaction: a crash leaves nothing \
            half-written, and reruns never duplicate effects inside Postgres.

            Examples:
              baton validate pipelines/orders.yaml
              baton test pipelines/
              baton run pipelines/orders.yaml --run nightly
              baton status nightly
              baton failures nightly
              baton replay nightly --stage enrich --dry-run

            Exit codes: \(BatonExit.helpText).
            """,
        version: "0.1.0",
        subcommands: [
            RunCommand.self,
            ValidateCommand.self,
            TestCommand.self,
            StatusCommand.self,
            FailuresCommand.self,
            ExplainCommand.self,
            ReplayCommand.self,
            ResumeCommand.self,
            CancelCommand.self,
            ResultsCommand.self,
            PruneCommand.self,
            CursorCommand.self,
            WorkCommand.self,
            MigrateCommand.self,
            PostgresCommand.self,
        ]
    )
}
