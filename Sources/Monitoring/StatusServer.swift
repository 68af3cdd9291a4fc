import NIOCore
import NIOHTTP1
import NIOPosix

/// The optional local HTTP listener (`--listen 127.0.0.1:PORT`): `GET /metrics` serves Prometheus text,
/// `GET /status` the status as JSON, both from `status()` at the time of the request. Anything else is
/// 404 (or 405 for another method). One request per connection. Runs on swift-nio's shared event loops.
public final class StatusServer: Sendable {
    private let channel: any Channel
    /// Where it listens (the port the system picked, when asked for port 0).
    public let host: String
    public let port: Int

    private init(channel: any Channel, host: String, port: Int) {
        self.channel = channel
        self.host = host
        self.port = port
    }

    /// Binds and starts serving. `status` is called on a NIO thread for every request: it must be cheap
    /// and thread-safe (return a snapshot the SM keeps behind a lock).
    public static func start(host: String, port: Int, metrics: SMMetrics, status: @escaping @Sendable () -> SMStatus) async throws -> StatusServer {
        let responder = StatusResponder(metrics: metrics, status: status)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(StatusHTTPHandler(responder: responder))
                }
            }
            .bind(host: host, port: port).get()
        return StatusServer(channel: channel, host: host, port: channel.localAddress?.port ?? port)
    }

    /// Stops listening.
    public func close() async throws {
        try await channel.close()
    }
}

/// What a request gets: pure apart from asking for the status.
struct StatusResponder: Sendable {
    let metrics: SMMetrics
    let status: @Sendable () -> SMStatus

    func respond(method: HTTPMethod, path: String) -> (HTTPResponseStatus, contentType: String, body: [UInt8]) {
        let path = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        guard path == "/metrics" || path == "/status" else { return (.notFound, "text/plain; charset=utf-8", Array("not found: try /metrics or /status\n".utf8)) }
        guard method == .GET || method == .HEAD else { return (.methodNotAllowed, "text/plain; charset=utf-8", Array("only GET\n".utf8)) }
        let snapshot = status()
        if path == "/metrics" {
            metrics.publish(snapshot)
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", Array(metrics.prometheusText().utf8))
        }
        return (.ok, "application/json", Array((snapshot.jsonText() + "\n").utf8))
    }
}

final class StatusHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: StatusResponder
    private var request: HTTPRequestHead?

    init(responder: StatusResponder) { self.responder = responder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let request else { return }
            self.request = nil
            let (status, contentType, body) = responder.respond(method: request.method, path: request.uri)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: "\(body.count)")
            headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
            if request.method != .HEAD {
                var buffer = context.channel.allocator.buffer(capacity: body.count)
                buffer.writeBytes(body)
                context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
