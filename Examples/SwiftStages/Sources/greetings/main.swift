// Baton as a Swift library: a Swift stage registered by name and used by a YAML pipeline,
// then the same work as a pipeline built entirely in Swift.
//
//   swift run greetings [DATABASE_URL]     (default: as `baton` chooses, see Database.locate)
import Baton
import Foundation

struct Person: Codable, Sendable {
    var id: Int
    var name: String
    var language: String
}

struct Greeting: Codable, Sendable {
    var id: Int
    var text: String
}

/// The Swift stage: a greeting per person; a person without a name fails for good.
let greet = SwiftTransform { item in
    let person = try item.decode(Person.self)
    guard !person.name.isEmpty else {
        throw StageError.permanent("person \(person.id) has no name", class: "validation")
    }
    let hello = ["fr": "Bonjour", "de": "Hallo"][person.language] ?? "Hello"
    return try .items([Greeting(id: person.id, text: "\(hello), \(person.name)!")])
}

func summary(_ report: RunReport) -> String {
    let stages = report.stages.map { "\($0.name) \($0.done) done, \($0.failed) failed" }.joined(separator: "; ")
    return "run \(report.run.name): \(report.run.state) (\(stages))"
}

let database = try Database.locate(url: CommandLine.arguments.dropFirst().first) { print($0) }
var failures: [String] = []

// 1. A YAML pipeline using the Swift stage by name (`swift: greet`).
var stages = SwiftStages()
stages.register("greet", greet)
let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../pipelines/greetings.yaml").standardized.path
let fromYAML = try PipelineLoader.load(path: file, swiftStages: stages)
let first = try await fromYAML.run(on: database)
print(summary(first))
if first.run.state != .failed || first.stages.map(\.done) != [2, 2] || first.stages.first?.failed != 1 {
    failures.append("the YAML pipeline should greet 2 people and refuse the nameless one")
}

// 2. The same stages, built entirely in Swift.
let inSwift = Pipeline(
    name: "greetings-swift",
    source: SourceSpec(try .items([Person(id: 4, name: "Linus", language: "de"), Person(id: 5, name: "Barbara", language: "en")]),
                       key: ".id"),
    stages: [
        Stage(name: "greet", transform: greet),
        try .sql(name: "save", statement: """
            insert into greetings (id, text) values (:id, :text)
            on conflict (id) do update set text = excluded.text
            """),
    ],
    setup: ["CREATE TABLE IF NOT EXISTS greetings (id int PRIMARY KEY, text text NOT NULL)"]
)
let second = try await inSwift.run(on: database, runName: "swift-built")
print(summary(second))
if second.run.state != .succeeded || second.stages.map(\.done) != [2, 2] {
    failures.append("the Swift-built pipeline should greet both people")
}

// Running a finished run again changes nothing.
let again = try await inSwift.run(on: database, runName: "swift-built")
if !again.wasAlreadyFinished { failures.append("a finished run should be reported as it is") }

if failures.isEmpty {
    print("example: ok")
} else {
    print("example: FAILED: " + failures.joined(separator: "; "))
    exit(1)
}
