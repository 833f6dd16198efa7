/// A session inside a transaction whose server waits for its client in the middle of a
/// statement: a COPY whose data stopped coming, or a pipeline whose next message never came.
/// `idle_in_transaction_session_timeout` does not cover these gaps of the protocol (the
/// session is `active`), so a paused or frozen process would hold its row locks forever.
package struct StalledSession: Sendable, Hashable {
    package var pid: Int32
    /// What must stay the same between two sightings for the session to count as stalled:
    /// the same backend, the same statement, and (a COPY) the same bytes received.
    package var signature: String

    package init(pid: Int32, signature: String) {
        self.pid = pid
        self.signature = signature
    }
}
