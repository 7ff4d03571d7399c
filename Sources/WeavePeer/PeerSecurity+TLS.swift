import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// The TLS side of `PeerSecurity`: TLS 1.3 contexts with no CA, where both
/// sides show a certificate and verify the other's with their own callback
/// (docs/WIRE.md, "Security").
extension PeerSecurity {
    /// The TLS contexts, made once per hub (`PeerHub.tls()`). Throws when the
    /// identity's key or certificate does not load into BoringSSL.
    final class Contexts: Sendable {
        let server: NIOSSLContext
        let client: NIOSSLContext

        init(_ identity: PeerIdentity) throws {
            let cert = try identity.sslCertificate(), key = try identity.sslKey()
            var s = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(cert)], privateKey: .privateKey(key))
            s.minimumTLSVersion = .tlsv13
            s.certificateVerification = .noHostnameVerification  // the joiner must show its certificate
            // No CA: both sides verify with their own callback (pinned fingerprint; the
            // invitation's secret). An empty store also spares loading the system's CA
            // bundle into each context (milliseconds on every join).
            s.trustRoots = .certificates([])
            server = try NIOSSLContext(configuration: s)
            var c = TLSConfiguration.makeClientConfiguration()
            c.minimumTLSVersion = .tlsv13
            c.certificateVerification = .noHostnameVerification
            c.trustRoots = .certificates([])
            c.certificateChain = [.certificate(cert)]
            c.privateKey = .privateKey(key)
            client = try NIOSSLContext(configuration: c)
        }
    }
}

/// What the joiner's certificate callback saw (it runs before the `AuthHandler` can).
final class PinnedFingerprint: Sendable {
    let expected: [UInt8]
    let seen = NIOLockedValueBox<[UInt8]?>(nil)
    init(_ expected: [UInt8]) { self.expected = expected }

    /// NIOSSL's custom verification: the leaf must have the pinned fingerprint; no CA.
    func verify(_ chain: [NIOSSLCertificate], _ promise: EventLoopPromise<NIOSSLVerificationResult>) {
        let fp = chain.first.flatMap(PeerIdentity.fingerprint(of:))
        seen.withLockedValue { $0 = fp }
        promise.succeed(fp == expected ? .certificateVerified : .failed)
    }
}
