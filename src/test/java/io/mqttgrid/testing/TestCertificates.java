package io.mqttgrid.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Real certificates made in the test: a self-signed server certificate for 127.0.0.1 / localhost,
 * as PEM, and (see {@link Issued}) CAs, intermediates and client certificates with the subjects,
 * SANs and validity periods a test needs.
 */
public final class TestCertificates {

  public final X509Certificate certificate;
  public final Path certFile;
  public final Path keyFile;

  private TestCertificates(X509Certificate certificate, Path certFile, Path keyFile) {
    this.certificate = certificate;
    this.certFile = certFile;
    this.keyFile = keyFile;
  }

  public static TestCertificates selfSignedServer(Path dir) throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(256);
    KeyPair keys = gen.generateKeyPair();
    X500Name name = new X500Name("CN=localhost");
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            name,
            BigInteger.valueOf(now.toEpochMilli()),
            Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(Duration.ofDays(1))),
            name,
            keys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(
            new GeneralName[] {
              new GeneralName(GeneralName.dNSName, "localhost"),
              new GeneralName(GeneralName.iPAddress, "127.0.0.1")
            }));
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                builder.build(
                    new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    Path certFile = dir.resolve("server.crt");
    Path keyFile = dir.resolve("server.key");
    Files.writeString(certFile, pem(cert));
    Files.writeString(
        keyFile,
        pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(keys.getPrivate(), null)));
    return new TestCertificates(cert, certFile, keyFile);
  }

  /** A trust manager factory that trusts exactly this certificate. */
  public TrustManagerFactory trustManagerFactory() throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry("server", certificate);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    return tmf;
  }

  /**
   * A certificate with its private key and the chain a TLS client presents (leaf first, no root).
   */
  public static final class Issued {
    public final X509Certificate certificate;
    public final PrivateKey key;
    public final List<X509Certificate> chain;

    private Issued(X509Certificate certificate, PrivateKey key, List<X509Certificate> chain) {
      this.certificate = certificate;
      this.key = key;
      this.chain = List.copyOf(chain);
    }

    /** The certificate as PEM text. */
    public String pem() {
      try {
        return TestCertificates.pem(certificate);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    /** SHA-256 of the DER certificate, upper-case hex: the thumbprint of spec section 3.2. */
    public String thumbprint() throws Exception {
      return HexFormat.of()
          .withUpperCase()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    }

    /** Key material for a TLS client presenting this certificate and its chain. */
    public KeyManagerFactory keyManagerFactory() throws Exception {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("client", key, PASSWORD, chain.toArray(new X509Certificate[0]));
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, PASSWORD);
      return kmf;
    }

    /** A CA certificate this one signs, valid for a day. */
    public Issued issueCa(String subject) throws Exception {
      return issue(new Spec(subject).ca());
    }

    /** A certificate this (CA) certificate signs; its chain is it plus this one's chain. */
    public Issued issue(Spec spec) throws Exception {
      KeyPair keys = keyPair(spec.rsa);
      X509Certificate cert =
          build(
              spec,
              keys.getPublic(),
              X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
              key);
      List<X509Certificate> issuedChain = new ArrayList<>();
      issuedChain.add(cert);
      // the root is the trust anchor and stays out of the chain a client presents
      if (!certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
        issuedChain.addAll(chain);
      }
      return new Issued(cert, keys.getPrivate(), issuedChain);
    }
  }

  /** What a certificate should say: subject, SANs, validity, whether it is a CA. */
  public static final class Spec {
    final String subject;
    final List<GeneralName> sans = new ArrayList<>();
    Instant notBefore = Instant.now().minus(Duration.ofMinutes(5));
    Instant notAfter = Instant.now().plus(Duration.ofDays(1));
    boolean ca;
    boolean rsa;
    boolean serverOnly;

    public Spec(String subject) {
      this.subject = subject;
    }

    public Spec dns(String name) {
      sans.add(new GeneralName(GeneralName.dNSName, name));
      return this;
    }

    public Spec uri(String uri) {
      sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
      return this;
    }

    public Spec ip(String ip) {
      sans.add(new GeneralName(GeneralName.iPAddress, ip));
      return this;
    }

    public Spec email(String email) {
      sans.add(new GeneralName(GeneralName.rfc822Name, email));
      return this;
    }

    public Spec valid(Instant from, Instant to) {
      this.notBefore = from;
      this.notAfter = to;
      return this;
    }

    public Spec ca() {
      this.ca = true;
      return this;
    }

    /** An RSA-2048 key instead of EC P-256. */
    public Spec rsa() {
      this.rsa = true;
      return this;
    }

    /** Extended key usage serverAuth only: not usable for client authentication. */
    public Spec serverOnly() {
      this.serverOnly = true;
      return this;
    }
  }

  private static final char[] PASSWORD = "test".toCharArray();
  private static final java.util.concurrent.atomic.AtomicLong SERIAL =
      new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis());

  /** A self-signed root CA. */
  public static Issued rootCa(String subject) throws Exception {
    return selfSigned(new Spec(subject).ca());
  }

  /**
   * A self-signed certificate (a client of the ThumbprintMatch scheme, or a root with {@link
   * Spec#ca()}).
   */
  public static Issued selfSigned(Spec spec) throws Exception {
    KeyPair keys = keyPair(spec.rsa);
    X509Certificate cert = build(spec, keys.getPublic(), x500(spec.subject), keys.getPrivate());
    return new Issued(cert, keys.getPrivate(), List.of(cert));
  }

  /**
   * A subject read as RFC 4514 text, leftmost RDN most specific (as OpenSSL and the JDK write
   * them).
   */
  private static X500Name x500(String subject) {
    return X500Name.getInstance(new javax.security.auth.x500.X500Principal(subject).getEncoded());
  }

  private static KeyPair keyPair(boolean rsa) throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance(rsa ? "RSA" : "EC");
    gen.initialize(rsa ? 2048 : 256);
    return gen.generateKeyPair();
  }

  private static X509Certificate build(
      Spec spec, java.security.PublicKey subjectKey, X500Name issuer, PrivateKey signer)
      throws Exception {
    JcaX509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            issuer,
            BigInteger.valueOf(SERIAL.incrementAndGet()),
            Date.from(spec.notBefore),
            Date.from(spec.notAfter),
            x500(spec.subject),
            subjectKey);
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(spec.ca));
    if (spec.ca) {
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else {
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(
              spec.serverOnly ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth));
    }
    if (!spec.sans.isEmpty()) {
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(spec.sans.toArray(new GeneralName[0])));
    }
    String algorithm = signer.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    return new JcaX509CertificateConverter()
        .getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(signer)));
  }

  private static String pem(Object o) throws IOException {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(o);
    }
    return w.toString();
  }
}
