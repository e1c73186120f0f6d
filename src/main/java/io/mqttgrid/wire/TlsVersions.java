package io.mqttgrid.wire;

import io.vertx.core.net.NetServerOptions;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The TLS versions every listener (MQTT over TLS and secure WebSocket, HTTPS) accepts. Vert.x 5
 * enables the same two by default; they are set here, not added to its default, so that a library
 * upgrade cannot widen the list and narrowing it is one change.
 */
public final class TlsVersions {

  public static final List<String> ENABLED = List.of("TLSv1.2", "TLSv1.3");

  private TlsVersions() {}

  /** {@code options} with {@link #ENABLED} as its only TLS versions. */
  public static <T extends NetServerOptions> T apply(T options) {
    options.setEnabledSecureTransportProtocols(new LinkedHashSet<>(ENABLED));
    return options;
  }
}
