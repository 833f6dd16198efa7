package import Logging

/// A transform holding resources across items (the children of a stream `exec` stage): told
/// when a run starts using it and when the run is done with it, so it can start lazily and
/// stop what it started. Calls pair up; runs of one pipeline may overlap in one process.
package protocol RunScopedTransform: StageTransform {
    func runWillStart(logger: Logger)
    func runDidFinish() async
}
