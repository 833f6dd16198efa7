import ArgumentParser
import Baton

enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
    case auto, tty, plain, none
}
