import ArgumentParser
import Baton

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
