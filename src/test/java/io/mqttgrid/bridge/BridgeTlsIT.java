package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.auth.PasswordHashes;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestCertificates;
import io.mqttgrid.testing.TlsListeners;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge to a remote that is a namespace as Event Grid has one: TLS only with a private CA, no
 * anonymous clients, the bridge authenticated by username and password (or by an X.509 client
 * certificate, ThumbprintMatch) and authorized by a topic space. The way up speaks MQTT 5, the way
 * down MQTT 3.1.1.
 */
class BridgeTlsIT {

  @TempDir static Path dir;

  static TestBroker cloud;
  static TestBroker edge;

  @BeforeAll
  static void start() throws Exception {
    // the bridge file below trusts the certificate by its file name, server.crt
    TlsListeners tls = TlsListeners.create(dir);
    TestCertificates.Issued clientCert =
        TestCertificates.selfSigned(new TestCertificates.Spec("CN=edge-x509"));
    Files.writeString(dir.resolve("edge-x509.crt"), clientCert.pem());
    Base64.Encoder pem = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    Files.writeString(
        dir.resolve("edge-x509.key"),
        "-----BEGIN PRIVATE KEY-----\n"
            + pem.encodeToString(clientCert.key.getEncoded())
            + "\n-----END PRIVATE KEY-----\n");
    Path namespace = dir.resolve("namespace.yaml");
    Files.writeString(
        namespace,
        """
        settings:
          maximumClientSessionsPerAuthenticationName: 3
          clientAuthentication:
            passwordAuthentication: { enabled: true }
            alternativeAuthenticationNameSources: [ClientCertificateSubject]
        clients:
          edge-bridge: { passwordHash: "%s" }
          edge-x509:
            clientCertificateAuthentication: { validationScheme: ThumbprintMatch, allowedThumbprints: ["%s"] }
          cloud-app: { passwordHash: "%s" }
        topicSpaces:
          telemetry: { topicTemplates: ["telemetry/#"] }
        permissionBindings:
          pub: { clientGroupName: $all, topicSpaceName: telemetry, permission: Publisher }
          sub: { clientGroupName: $all, topicSpaceName: telemetry, permission: Subscriber }
        """
            .formatted(
                PasswordHashes.hash("s3cret".toCharArray(), 1000),
                clientCert.thumbprint(),
                PasswordHashes.hash("app".toCharArray(), 1000)));
    cloud =
        TestBroker.start(
            tls.brokerConfig("namespace.file", namespace.toString(), "auth.anonymous", "false"));
    Files.writeString(dir.resolve("bridge-password"), "s3cret\n");
    Path bridges = dir.resolve("bridges.yaml");
    // the CA file and the password file are named relative to the bridge file
    Files.writeString(
        bridges,
        """
        dataflowEndpoints:
          - name: cloud-v5
            mqttSettings:
              host: 127.0.0.1:%1$d
              clientIdPrefix: edge-
              tls: { mode: Enabled, trustedCaCertificateFile: server.crt }
              authentication:
                method: UsernamePassword
                usernamePasswordSettings: { username: edge-bridge, passwordFile: bridge-password }
          - name: cloud-x509
            mqttSettings:
              host: 127.0.0.1:%1$d
              clientIdPrefix: edge-
              tls: { mode: Enabled, trustedCaCertificateFile: server.crt }
              authentication:
                method: X509Certificate
                x509CertificateSettings: { certificateFile: edge-x509.crt, keyFile: edge-x509.key }
          - name: cloud-v3
            mqttSettings:
              host: 127.0.0.1:%1$d
              mqttVersion: "3.1.1"
              clientIdPrefix: edge-
              tls: { mode: Enabled, trustedCaCertificateFile: server.crt }
              authentication:
                method: UsernamePassword
                usernamePasswordSettings: { username: edge-bridge, passwordFile: bridge-password }
        dataflows:
          - name: up
            operations:
              - operationType: Source
                sourceSettings: { endpointRef: default, dataSources: [tutorial/local] }
              - operationType: Destination
                destinationSettings: { endpointRef: cloud-v5, dataDestination: telemetry/aio }
          - name: up-x509
            operations:
              - operationType: Source
                sourceSettings: { endpointRef: default, dataSources: [x509/up] }
              - operationType: Destination
                destinationSettings: { endpointRef: cloud-x509, dataDestination: telemetry/x509 }
          - name: down
            operations:
              - operationType: Source
                sourceSettings: { endpointRef: cloud-v3, dataSources: ["telemetry/#"] }
              - operationType: Destination
                destinationSettings: { endpointRef: default, dataDestination: tutorial/cloud }
        """
            .formatted(tls.tlsPort));
    edge =
        TestBroker.start(
            Map.of("bridge.file", bridges.toString(), "bridge.reconnect-max-delay", "2"));
    awaitConnected("up", "up-x509", "down");
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(edge, cloud);
  }

  @Test
  void theRoundTripGoesUpOverMqtt5AndDownOverMqtt311() throws Exception {
    Mqtt5BlockingClient client = edge.v5("edge-roundtrip");
    Inbox<Mqtt5Publish> inbox =
        Inbox.connectAndSubscribe(client, "tutorial/cloud", MqttQos.AT_LEAST_ONCE);
    client
        .publishWith()
        .topic("tutorial/local")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(bytes("over tls"))
        .send();

    Mqtt5Publish got = inbox.next();
    assertThat(got.getTopic().toString()).isEqualTo("tutorial/cloud");
    assertThat(Inbox.text(got)).isEqualTo("over tls");
    client.disconnect();
  }

  @Test
  void aBridgeWithAClientCertificateIsAuthenticatedByIt() throws Exception {
    Mqtt5BlockingClient client = edge.v5("edge-roundtrip-x509");
    Inbox<Mqtt5Publish> inbox =
        Inbox.connectAndSubscribe(client, "tutorial/cloud", MqttQos.AT_LEAST_ONCE);
    client
        .publishWith()
        .topic("x509/up")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(bytes("by certificate"))
        .send();

    Mqtt5Publish got = inbox.next();
    assertThat(got.getTopic().toString()).isEqualTo("tutorial/cloud");
    assertThat(Inbox.text(got)).isEqualTo("by certificate");
    client.disconnect();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void awaitConnected(String... flows) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      String text =
          http.send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + edge.managementPort() + "/metrics"))
                      .timeout(Duration.ofSeconds(10))
                      .GET()
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      boolean all = true;
      for (String f : flows) {
        all &=
            text.lines()
                .anyMatch(
                    l ->
                        l.startsWith("mqttgrid_bridge_connected{dataflow=\"" + f + "\"")
                            && l.endsWith(" 1.0"));
      }
      if (all) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("bridge dataflows not connected within 20 s");
      }
      Thread.sleep(100);
    }
  }
}
