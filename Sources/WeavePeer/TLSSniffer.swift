import NIOCore
import NIOSSL

/// On a host that requires TLS: looks at the first byte a newcomer sends. A TLS
/// ClientHello (0x16) gets the TLS and authentication handlers; anything else
/// (a plaintext Weave Hello) is answered with a plaintext Refuse saying why, and closed.
final class TLSSniffer: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let tls: NIOSSLContext
    let makeAuth: () -> AuthHandler
    private var done = false

    init(tls: NIOSSLContext, makeAuth: @escaping () -> AuthHandler) {
        self.tls = tls
        self.makeAuth = makeAuth
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        let bytes = unwrapInboundIn(data)
        guard let first = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) else { return }
        done = true
        if first == 0x16 {
            do {
                let server = NIOSSLServerHandler(context: tls, customVerificationCallback: { _, promise in
                    promise.succeed(.certificateVerified)  // any joiner certificate: the secret authenticates it
                })
                try context.pipeline.syncOperations.addHandlers([server, makeAuth()], position: .after(self))
                context.fireChannelRead(data)
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            } catch {
                context.fireErrorCaught(error)
            }
        } else {
            let f = AuthFailure.plaintextPeer
            let refuse = Message.refuse(Refusal(code: .unauthorized, text: f.description)).encode()
            var b = context.channel.allocator.buffer(capacity: refuse.count + 4)
            FrameEncoder.write(refuse, to: &b)
            context.writeAndFlush(wrapOutboundOut(b), promise: nil)
            context.fireErrorCaught(PeerError.unauthorized(f))
        }
    }
}
