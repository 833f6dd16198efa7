/// Whether the process is stopping, for a batch transform that starts work item by item
/// (the http stage's requests): set by the worker around the call. Work not started when a
/// stop comes is not started; its items go back untouched (``StageError/notStarted``).
package enum StageStop {
    @TaskLocal package static var requested: (@Sendable () -> Bool)?
}
