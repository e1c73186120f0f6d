package io.mqttgrid.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestCertificates;
import java.nio.file.Path;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MQTT over TLS and HTTPS each accept TLS 1.2 and TLS 1.3 (TlsVersions). */
class TlsVersionsIT {

  @TempDir Path dir;

  @Test
  void everyTlsListenerAcceptsEachEnabledVersion() throws Exception {
    TestCertificates certs = TestCertificates.selfSignedServer(dir);
    int mqttTls = TestBroker.freePort();
    int https = TestBroker.freePort();
    try (TestBroker broker =
        TestBroker.start(
            Map.of(
                "tls.cert-file",
                certs.certFile.toString(),
                "tls.key-file",
                certs.keyFile.toString(),
                "mqtt.tls-port",
                String.valueOf(mqttTls),
                "http.tls-port",
                String.valueOf(https)))) {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, certs.trustManagerFactory().getTrustManagers(), null);
      for (int port : new int[] {mqttTls, https}) {
        for (String version : new String[] {"TLSv1.2", "TLSv1.3"}) {
          try (SSLSocket socket =
              (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            socket.setEnabledProtocols(new String[] {version});
            socket.startHandshake();
            assertThat(socket.getSession().getProtocol()).as("port %s", port).isEqualTo(version);
          }
        }
      }
    }
  }
}
