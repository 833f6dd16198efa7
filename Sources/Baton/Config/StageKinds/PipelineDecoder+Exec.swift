import Yams

/// The `exec:` block of a stage → ``ExecStageConfig``.
extension PipelineDecoder {
    func decodeExec(_ node: Node, _ path: String) -> ExecStageConfig? {
        guard let exec = fields(node, path, allowed: ExecStageKind.keys, what: "a mapping with a command") else { return nil }
        let before = errors.count
        var config = ExecStageConfig(command: [])
        if let commandNode = exec["command"] {
            config.command = command(commandNode, exec.path("command")) ?? []
        } else {
            report(node, exec.path("command"), "missing required key `command`",
                   hint: "a program and its arguments, e.g. command: [python3, scripts/enrich.py]")
        }
        if let node = exec["mode"] { config.mode = choice(node, exec.path("mode"), ExecStageConfig.Mode.self) ?? config.mode }
        if let node = exec["timeout"] { config.timeout = duration(node, exec.path("timeout")) ?? config.timeout }
        if let node = exec["start_timeout"] {
            config.startTimeout = duration(node, exec.path("start_timeout"), allowZero: true) ?? config.startTimeout
        }
        if let node = exec["cwd"] { config.workingDirectory = existingDirectory(node, exec.path("cwd"), what: "the working directory") }
        if let node = exec["processes"] { config.processes = integer(node, exec.path("processes"), minimum: 1, maximum: 256) ?? config.processes }
        if let node = exec["window"] { config.window = integer(node, exec.path("window"), minimum: 1, maximum: 10_000) ?? config.window }
        // Keys of the other mode are mistakes, not silently ignored.
        let modeKeys: [(key: String, mode: ExecStageConfig.Mode, why: String)] = [
            ("fail_on_exit", .once, "a stream child reports a permanent failure by answering {\"error\": …, \"permanent\": true}"),
            ("start_timeout", .stream, "`mode: once` has only `timeout`, which includes the program's start"),
            ("processes", .stream, "`mode: once` starts one process per item; `concurrency` sets how many at once"),
            ("window", .stream, "`mode: once` writes one item per process"),
        ]
        for (key, mode, why) in modeKeys where exec.contains(key) && config.mode != mode {
            report(exec.keyNode(key), exec.path(key), "`\(key)` applies to `mode: \(mode.rawValue)` only", hint: why)
        }
        if let node = exec["env"], let entries = map(node, exec.path("env"), what: "environment variables (NAME: value)") {
            for entry in entries {
                let entryPath = FieldPath.child(exec.path("env"), entry.key)
                guard PipelineDecoder.isEnvironmentName(entry.key) else {
                    report(entry.keyNode, entryPath, "invalid environment variable name `\(entry.key)`",
                           hint: "use letters, digits and _, not starting with a digit")
                    continue
                }
                if let value = text(entry.value, entryPath, what: "a value") { config.environment[entry.key] = value }
            }
        }
        if let node = exec["fail_on_exit"], let elements = sequence(node, exec.path("fail_on_exit"), what: "exit codes", allowSingle: true) {
            let isList = if case .sequence = node { true } else { false }
            var codes: Set<Int32> = []
            for (index, element) in elements.enumerated() {
                let elementPath = isList ? FieldPath.element(exec.path("fail_on_exit"), index) : exec.path("fail_on_exit")
                if let code = integer(element, elementPath, minimum: 0, maximum: 255) { codes.insert(Int32(code)) }
            }
            config.failOnExit = codes
        }
        guard errors.count == before, !config.command.isEmpty else { return nil }
        return config
    }

    /// A list of program and arguments, or one string run with `/bin/sh -c`.
    private func command(_ node: Node, _ path: String) -> [String]? {
        if case .sequence(let sequence) = node {
            guard !sequence.isEmpty else {
                report(node, path, "the command is empty", hint: "e.g. command: [python3, scripts/enrich.py]")
                return nil
            }
            let parts = sequence.enumerated().compactMap { index, element in
                nonEmptyText(element, FieldPath.element(path, index), what: "a program or argument")
            }
            return parts.count == sequence.count ? parts : nil
        }
        guard case .scalar = node else {
            report(node, path, "expected a list like [program, arg] or a shell command line, found \(describe(node))")
            return nil
        }
        return nonEmptyText(node, path, what: "a command").map { ["/bin/sh", "-c", $0] }
    }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.first, !first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
