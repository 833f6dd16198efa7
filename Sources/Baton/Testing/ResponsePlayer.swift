import BatonHTTP

/// Plays a case's recorded responses, in order, to an http stage; notes what does not match.
final class ResponsePlayer {
    private let responses: [PipelineTestCase.RecordedResponse]
    private var next = 0
    private(set) var problems: [String] = []

    init(_ responses: [PipelineTestCase.RecordedResponse]) { self.responses = responses }

    /// Responses no request reached.
    var unused: ArraySlice<PipelineTestCase.RecordedResponse> { responses[min(next, responses.count)...] }

    struct NoResponse: Error, CustomStringConvertible {
        var description: String { "no recorded response" }
    }

    func answer(_ request: HTTPRequest) throws -> HTTPResponse {
        guard next < responses.count else {
            problems.append("request \(next + 1) (\(request.method) \(request.url)) has no recorded response")
            next += 1
            throw NoResponse()
        }
        let response = responses[next]
        next += 1
        if let method = response.method, method != request.method {
            problems.append("request \(next) is \(request.method) \(request.url), but the response at \(response.location) is for \(method)")
        }
        if let url = response.url, url != request.url {
            problems.append("request \(next) is \(request.method) \(request.url), but the response at \(response.location) is for \(url)")
        }
        return HTTPResponse(status: response.status, headers: response.headers, body: response.body, effectiveURL: request.url)
    }
}
