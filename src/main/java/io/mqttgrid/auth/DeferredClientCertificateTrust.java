package io.mqttgrid.auth;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS listeners' trust manager: it accepts any client certificate chain at the handshake and
 * leaves the decision to {@link NamespaceAuthenticator} at CONNECT. Safe because the handshake
 * still proves that the client holds the certificate's private key (CertificateVerify); what it
 * cannot do is judge the chain, since the CA certificates and thumbprints that decide live in the
 * namespace model and change at run time (Event Grid's CA certificate resource and CA-chain
 * authentication), and a self-signed certificate is valid for {@code ThumbprintMatch} clients
 * (3.2). It advertises no acceptable issuers, so clients send whatever certificate they have.
 */
public final class DeferredClientCertificateTrust extends X509ExtendedTrustManager {

  public static final DeferredClientCertificateTrust INSTANCE =
      new DeferredClientCertificateTrust();

  private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

  private DeferredClientCertificateTrust() {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) {
    // judged at CONNECT against the namespace model
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
    // judged at CONNECT against the namespace model
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
    // judged at CONNECT against the namespace model
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("a listener's trust manager never judges servers");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("a listener's trust manager never judges servers");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("a listener's trust manager never judges servers");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return NO_ISSUERS;
  }
}
