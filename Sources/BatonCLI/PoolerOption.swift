import ArgumentParser
import BatonPostgres

/// `--pooler`: the values of ``PoolerMode``.
enum PoolerOption: String, ExpressibleByArgument, CaseIterable {
    case auto, none, session, transaction
    var mode: PoolerMode { PoolerMode(rawValue: rawValue) ?? .auto }
}
