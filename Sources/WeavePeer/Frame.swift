import NIOCore

/// Frames: a 4-byte big-endian payload length, then the payload (one `Message`).
///
/// `FrameDecoder` refuses a length above its limit as soon as the four length
/// bytes are in, before any of the frame is buffered, so a peer announcing 4 GiB
/// costs nothing. Always install it through `FrameDecoder.handler(maxFrameSize:)`,
/// which also caps the bytes `ByteToMessageHandler` may accumulate.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Message

    /// The largest payload accepted, in bytes.
    public let maxFrameSize: Int

    public init(maxFrameSize: Int) {
        precondition(maxFrameSize > 0 && maxFrameSize <= Int(UInt32.max), "frame limit out of range")
        self.maxFrameSize = maxFrameSize
    }

    /// The decoder wrapped so that no more than one maximal frame (plus its
    /// length) is ever buffered: `ByteToMessageHandler(…, maximumBufferSize:)`.
    public static func handler(maxFrameSize: Int) -> ByteToMessageHandler<FrameDecoder> {
        ByteToMessageHandler(FrameDecoder(maxFrameSize: maxFrameSize), maximumBufferSize: maxFrameSize + 4)
    }

    /// Decodes one frame if it is all here. Throws `PeerError.frameTooLarge`
    /// on an oversized length and the `Message.decode` errors on a bad payload.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let payload = try FrameDecoder.nextFrame(&buffer, maxFrameSize: maxFrameSize) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(try Message.decode(payload)))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial frame at the end of the stream is dropped with the connection.
        try decode(context: context, buffer: &buffer)
    }

    /// Takes one whole frame's payload off `buffer`, or nil (buffer untouched)
    /// when it is not all here. Throws `.frameTooLarge` from the length alone.
    public static func nextFrame(_ buffer: inout ByteBuffer, maxFrameSize: Int) throws(PeerError) -> [UInt8]? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else { return nil }
        guard Int(length) <= maxFrameSize else { throw .frameTooLarge(length: UInt64(length), limit: maxFrameSize) }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readBytes(length: Int(length))!
    }
}

/// Writes each outbound `Message` as one frame.
public struct FrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = Message

    public init() {}

    public func encode(data: Message, out: inout ByteBuffer) throws {
        FrameEncoder.write(data.encode(), to: &out)
    }

    /// Appends a frame holding `payload`.
    public static func write(_ payload: [UInt8], to out: inout ByteBuffer) {
        out.reserveCapacity(minimumWritableBytes: 4 + payload.count)
        out.writeInteger(UInt32(payload.count), endianness: .big)
        out.writeBytes(payload)
    }

    /// One frame holding `payload`, as bytes.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4 + payload.count)
        let n = UInt32(payload.count)
        out += [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
        out += payload
        return out
    }
}
