import NIOCore
import NIOHTTP1
import NIOPosix

/// `swiftsm status`: one GET to a running SM's listener.
public enum StatusClient {
    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    public enum Failure: Error, CustomStringConvertible {
        case cannotConnect(String, String)
        case noAnswer(String)

        public var description: String {
            switch self {
            case .cannotConnect(let address, let why): "cannot connect to \(address): \(why)"
            case .noAnswer(let address): "\(address) closed the connection without an answer"
            }
        }
    }

    /// GETs `path` from host:port, giving up after `timeout`.
    public static func get(host: String, port: Int, path: String, timeout: TimeAmount = .seconds(10)) async throws -> Response {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: Response.self)
        let address = "\(host):\(port)"
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(host: host, path: path, promise: promise))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            promise.fail(error)
            throw Failure.cannotConnect(address, "\(error)")
        }
        channel.eventLoop.scheduleTask(in: timeout) { promise.fail(Failure.noAnswer(address)) }
        defer { channel.close(promise: nil) }
        return try await promise.futureResult.get()
    }
}

final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let host: String
    private let path: String
    private let promise: EventLoopPromise<StatusClient.Response>
    private var status = 0
    private var body: [UInt8] = []

    init(host: String, path: String, promise: EventLoopPromise<StatusClient.Response>) {
        self.host = host
        self.path = path
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(var buffer): body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end: promise.succeed(StatusClient.Response(status: status, body: body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(StatusClient.Failure.noAnswer("\(host)"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
