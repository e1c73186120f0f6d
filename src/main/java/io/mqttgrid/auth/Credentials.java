package io.mqttgrid.auth;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What a CONNECT presents to prove who the client is.
 *
 * @param remoteHost the peer address as text (IP literal)
 * @param remoteLoopback whether the peer connected over loopback
 * @param authMethod MQTT 5 Authentication Method, or null
 * @param certificateChain the TLS client certificate chain, leaf first; empty without TLS or client
 *     certificate
 */
public record Credentials(
    String clientId,
    String username,
    byte[] password,
    String authMethod,
    byte[] authData,
    String remoteHost,
    boolean remoteLoopback,
    List<X509Certificate> certificateChain) {

  public Credentials {
    certificateChain = certificateChain == null ? List.of() : List.copyOf(certificateChain);
  }
}
