import Crypto
import Foundation
import NIOSSL
import WeaveStore
import X509

/// This installation's TLS identity: a P-256 key and a self-signed certificate,
/// made on first use and kept (0600) in the Weave config directory. Peers know
/// each other by the certificate's SHA-256 fingerprint; there is no CA.
public struct PeerIdentity: Sendable {
    /// The certificate, DER.
    public let certificateDER: [UInt8]
    /// The private key, PKCS#8 PEM.
    let keyPEM: String
    /// SHA-256 of `certificateDER`.
    public let fingerprint: [UInt8]

    /// The fingerprint as 64 lowercase hex digits.
    public var fingerprintHex: String { PeerIdentity.hex(fingerprint) }

    /// The environment variable that overrides the config directory (tests, several identities on one machine).
    public static let directoryVariable = "WEAVE_CONFIG_DIR"
    static let keyFile = "identity-key.pem"
    static let certificateFile = "identity-cert.pem"

    /// `$WEAVE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/weave`, else `~/.config/weave`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let d = environment[directoryVariable], !d.isEmpty { return d }
        if let x = environment["XDG_CONFIG_HOME"], !x.isEmpty { return x + "/weave" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.config/weave"
    }

    /// A fresh identity, in memory only.
    public static func generate(name: String = "weave") throws -> PeerIdentity {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now - 86_400, notValidAfter: now + 86_400 * 365 * 30,
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { Critical(BasicConstraints.notCertificateAuthority) },
            issuerPrivateKey: Certificate.PrivateKey(key))
        let der = try certificate.serializeAsPEM().derBytes
        return PeerIdentity(certificateDER: der, keyPEM: key.pemRepresentation)
    }

    init(certificateDER: [UInt8], keyPEM: String) {
        self.certificateDER = certificateDER
        self.keyPEM = keyPEM
        fingerprint = PeerIdentity.fingerprint(of: certificateDER)
    }

    /// Loads the identity kept in `directory` (default: `defaultDirectory()`),
    /// making and saving one (directory 0700, files 0600 from their creation:
    /// `AtomicFile.writePrivate`) if there is none. Throws `StoreError` when
    /// they cannot be written.
    public static func loadOrCreate(directory: String? = nil) throws -> PeerIdentity {
        let dir = directory ?? defaultDirectory()
        let keyPath = dir + "/" + keyFile, certPath = dir + "/" + certificateFile
        let fm = FileManager.default
        if fm.fileExists(atPath: keyPath), fm.fileExists(atPath: certPath) {
            let keyPEM = try String(contentsOfFile: keyPath, encoding: .utf8)
            let certPEM = try String(contentsOfFile: certPath, encoding: .utf8)
            let cert = try Certificate(pemEncoded: certPEM)
            _ = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
            return PeerIdentity(certificateDER: try cert.serializeAsPEM().derBytes, keyPEM: keyPEM)
        }
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let identity = try generate()
        let certPEM = try Certificate(derEncoded: identity.certificateDER).serializeAsPEM().pemString
        try AtomicFile.writePrivate(keyPath, Array(identity.keyPEM.utf8))
        try AtomicFile.writePrivate(certPath, Array((certPEM + "\n").utf8))
        return identity
    }

    // MARK: NIOSSL

    func sslCertificate() throws -> NIOSSLCertificate { try NIOSSLCertificate(bytes: certificateDER, format: .der) }
    func sslKey() throws -> NIOSSLPrivateKey { try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem) }

    // MARK: Fingerprints

    public static func fingerprint(of der: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: der)) }

    static func fingerprint(of certificate: NIOSSLCertificate) -> [UInt8]? {
        (try? certificate.toDERBytes()).map { fingerprint(of: $0) }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(bytes.count * 2)
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
        return s
    }
}
