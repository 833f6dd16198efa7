import ArgumentParser
import Baton
import Foundation

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check pipeline files without running them.",
        discussion: """
            Reports every problem at once, each as FILE:LINE:COLUMN: FIELD: MESSAGE: unknown keys, \
            wrong types, duplicate stage names, jq compile errors, SQL parameters no field supplies, \
            unset environment variables, paginators, incremental cursors. Prints `ok` per valid file, then \
            its warnings (FILE:LINE:COLUMN: FIELD: warning: …, e.g. a glob matching no file yet). Exit 0 \
            when all are valid (warnings included), 78 otherwise.

            Example:
              baton validate pipelines/*.yaml
            """
    )

    @Argument(help: "Pipeline files (YAML or JSON).")
    var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            do {
                let pipeline = try PipelineLoader.load(path: file)
                Secrets.register(pipeline.secrets)
                print("\(file): ok (pipeline \(pipeline.name), \(pipeline.stages.count) stage\(pipeline.stages.count == 1 ? "" : "s"))")
                for warning in pipeline.warnings { print(Secrets.redact(ValidateCommand.text(of: warning))) }
            } catch let errors as PipelineErrors {
                failed = true
                print(Secrets.redact(errors.description))
            }
        }
        if failed { throw ExitCode(78) }
    }

    /// `FILE:LINE:COLUMN: FIELD: warning: MESSAGE (hint: HINT)`.
    static func text(of warning: PipelineError) -> String {
        var marked = warning
        marked.message = "warning: " + warning.message
        return marked.description
    }
}
