package io.mqttgrid.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestCertificates;
import io.mqttgrid.testing.TestCertificates.Issued;
import io.mqttgrid.testing.TestCertificates.Spec;
import io.mqttgrid.testing.TlsListeners;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * X.509 client authentication over real TLS (spec sections 3.2 to 3.4): a broker with a namespace
 * file, client certificates made here, HiveMQ clients presenting them (MQTT 5 and 3.1.1, TLS and
 * secure WebSocket).
 */
@WithBroker(configMethod = "brokerConfig")
class X509AuthenticationIT {

  @TempDir static Path dir;
  static TlsListeners tls;
  static TestBroker broker;

  static Issued root;
  static Issued intermediate;
  static Issued otherRoot;
  static Issued anchoredIntermediate;
  static Issued selfSigned;

  /** The broker's overrides (see @WithBroker): written here, before the broker starts. */
  static Map<String, String> brokerConfig() throws Exception {
    tls = TlsListeners.create(dir);
    root = TestCertificates.rootCa("CN=Grid Test Root,O=Grid");
    intermediate = root.issueCa("CN=Grid Test Intermediate,O=Grid");
    // a second hierarchy of which only the intermediate is uploaded: the anchor may be an
    // intermediate
    otherRoot = TestCertificates.rootCa("CN=Other Root,O=Elsewhere");
    anchoredIntermediate = otherRoot.issueCa("CN=Uploaded Intermediate,O=Elsewhere");
    selfSigned = TestCertificates.selfSigned(new Spec("CN=thumb-device"));

    JsonObject clients =
        new JsonObject()
            .put(
                "thumb-device",
                thumbprintClient(
                    new JsonArray()
                        .add("00".repeat(32))
                        .add(colonSeparated(selfSigned.thumbprint().toLowerCase()))))
            .put("subject-device", client("SubjectMatchesAuthenticationName"))
            .put(
                "dns-device",
                client("DnsMatchesAuthenticationName")
                    .put("authenticationName", "dns.devices.example"))
            .put(
                "uri-device",
                client("UriMatchesAuthenticationName")
                    .put("authenticationName", "urn:grid:uri-device"))
            .put(
                "ip-device",
                client("IpMatchesAuthenticationName").put("authenticationName", "10.9.8.7"))
            .put(
                "email-device",
                client("EmailMatchesAuthenticationName")
                    .put("authenticationName", "dev@devices.example"))
            .put(
                "disabled-device",
                client("SubjectMatchesAuthenticationName").put("state", "Disabled"))
            .put("mqttbridge", client("SubjectMatchesAuthenticationName"))
            .put("elsewhere-device", client("SubjectMatchesAuthenticationName"));
    JsonObject namespace =
        new JsonObject()
            .put(
                "settings",
                new JsonObject()
                    .put("hostname", "mqtt.example.com")
                    .put("maximumClientSessionsPerAuthenticationName", 3)
                    .put(
                        "clientAuthentication",
                        new JsonObject()
                            .put(
                                "alternativeAuthenticationNameSources",
                                new JsonArray()
                                    .add("ClientCertificateSubject")
                                    .add("ClientCertificateDns"))))
            .put("clients", clients)
            .put(
                "caCertificates",
                new JsonObject()
                    .put("root", new JsonObject().put("encodedCertificate", root.pem()))
                    .put(
                        "elsewhere",
                        new JsonObject().put("encodedCertificate", anchoredIntermediate.pem())));
    Path file = dir.resolve("namespace.json");
    Files.writeString(file, namespace.encodePrettily());
    return tls.brokerConfig("namespace.file", file.toString());
  }

  static JsonObject client(String scheme) {
    return new JsonObject()
        .put("clientCertificateAuthentication", new JsonObject().put("validationScheme", scheme))
        .put("attributes", new JsonObject().put("room", "345"));
  }

  static JsonObject thumbprintClient(JsonArray thumbprints) {
    JsonObject c = client("ThumbprintMatch");
    c.getJsonObject("clientCertificateAuthentication").put("allowedThumbprints", thumbprints);
    return c;
  }

  static String colonSeparated(String hex) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < hex.length(); i += 2) {
      b.append(i == 0 ? "" : ":").append(hex, i, i + 2);
    }
    return b.toString();
  }

  Mqtt5BlockingClient v5(String clientId, String username, Issued certificate, boolean websocket)
      throws Exception {
    var builder =
        tls.client(
                clientId, websocket, certificate == null ? null : certificate.keyManagerFactory())
            .useMqttVersion5();
    if (username != null) {
      builder = builder.simpleAuth().username(username).applySimpleAuth();
    }
    return builder.buildBlocking();
  }

  Mqtt3BlockingClient v3(String clientId, String username, Issued certificate) throws Exception {
    var builder = tls.client(clientId, false, certificate.keyManagerFactory()).useMqttVersion3();
    if (username != null) {
      builder = builder.simpleAuth().username(username).applySimpleAuth();
    }
    return builder.buildBlocking();
  }

  void connects(String clientId, String username, Issued certificate) throws Exception {
    Mqtt5BlockingClient c = v5(clientId, username, certificate, false);
    c.connect();
    c.disconnect();
  }

  void refused(String clientId, String username, Issued certificate) throws Exception {
    Mqtt5BlockingClient c = v5(clientId, username, certificate, false);
    assertThatThrownBy(c::connect)
        .isInstanceOfSatisfying(
            Mqtt5ConnAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReasonCode())
                    .isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED));
  }

  @Test
  void thumbprintMatchAcceptsTheRegisteredSelfSignedCertificateOnly() throws Exception {
    connects("thumb-1", "thumb-device", selfSigned);
    connects("thumb-2", "THUMB-DEVICE", selfSigned);
    refused("thumb-3", "thumb-device", TestCertificates.selfSigned(new Spec("CN=thumb-device")));
    refused("thumb-4", "thumb-device", root.issue(new Spec("CN=thumb-device")));
  }

  @Test
  void eachNameSchemeAcceptsItsFieldAndRefusesOthers() throws Exception {
    Issued subject = intermediate.issue(new Spec("CN=subject-device,O=Grid").dns("subject-device"));
    Issued dns =
        intermediate.issue(
            new Spec("CN=some-device").dns("other.devices.example").dns("dns.devices.example"));
    Issued uri = root.issue(new Spec("CN=uri").uri("urn:grid:uri-device"));
    Issued ip = root.issue(new Spec("CN=ip").ip("10.9.8.7"));
    Issued email = root.issue(new Spec("CN=email").email("dev@devices.example").rsa());
    connects("s1", "subject-device", subject);
    connects("d1", "dns.devices.example", dns);
    connects("u1", "urn:grid:uri-device", uri);
    connects("i1", "10.9.8.7", ip);
    connects("e1", "dev@devices.example", email);
    // the right certificate field with the wrong value, or the value in another field
    refused("s2", "subject-device", dns);
    refused("d2", "dns.devices.example", subject);
    refused("u2", "urn:grid:uri-device", ip);
    refused("i2", "10.9.8.7", root.issue(new Spec("CN=10.9.8.7").dns("10.9.8.7")));
    refused(
        "e2",
        "dev@devices.example",
        root.issue(new Spec("CN=dev@devices.example").uri("mailto:dev@devices.example")));
    refused("x1", "nobody", subject);
  }

  @Test
  void anUploadedIntermediateIsEnoughToTrustItsCertificates() throws Exception {
    Issued elsewhere = anchoredIntermediate.issue(new Spec("CN=elsewhere-device"));
    connects("el1", "elsewhere-device", elsewhere);
  }

  @Test
  void certificatesOfAnUnknownCaAreRefused() throws Exception {
    Issued strangerRoot = TestCertificates.rootCa("CN=Grid Test Root,O=Grid");
    refused("u1", "subject-device", strangerRoot.issue(new Spec("CN=subject-device")));
    refused("u2", "subject-device", TestCertificates.selfSigned(new Spec("CN=subject-device")));
    Issued notACa = root.issue(new Spec("CN=issuer-without-ca-rights"));
    refused("u3", "subject-device", notACa.issue(new Spec("CN=subject-device")));
  }

  @Test
  void expiredAndNotYetValidCertificatesAreRefused() throws Exception {
    Instant now = Instant.now();
    refused(
        "t1",
        "subject-device",
        root.issue(
            new Spec("CN=subject-device")
                .valid(now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)))));
    refused(
        "t2",
        "subject-device",
        root.issue(
            new Spec("CN=subject-device")
                .valid(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(2)))));
    refused("t3", "thumb-device", expiredSelfSigned());
  }

  private static Issued expiredSelfSigned() throws Exception {
    Instant now = Instant.now();
    return TestCertificates.selfSigned(
        new Spec("CN=thumb-device")
            .valid(now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1))));
  }

  @Test
  void aDisabledClientIsRefused() throws Exception {
    refused("dis1", "disabled-device", root.issue(new Spec("CN=disabled-device")));
  }

  @Test
  void withoutUsernameTheNameComesFromTheConfiguredCertificateFields() throws Exception {
    // the bridge tutorial: client mqttbridge, certificate CN=mqttbridge, several instances share it
    Issued bridge = root.issue(new Spec("CN=mqttbridge"));
    Mqtt5BlockingClient a = v5("bridge-1", null, bridge, false);
    Mqtt5BlockingClient b = v5("bridge-2", null, bridge, false);
    a.connect();
    b.connect();
    a.disconnect();
    b.disconnect();
    // the subject is tried first; a certificate without CN match falls to the DNS source only when
    // the subject
    // offers no name, so this one is looked up as its subject and not found
    refused("nameless-1", null, root.issue(new Spec("CN=unregistered").dns("dns.devices.example")));
  }

  @Test
  void secureWebSocketClientsPresentCertificatesToo() throws Exception {
    Mqtt5BlockingClient wss =
        v5("wss-1", "subject-device", intermediate.issue(new Spec("CN=subject-device")), true);
    wss.connect();
    wss.disconnect();
    Mqtt5BlockingClient wrong =
        v5(
            "wss-2",
            "subject-device",
            TestCertificates.selfSigned(new Spec("CN=subject-device")),
            true);
    assertThatThrownBy(wrong::connect).isInstanceOf(Mqtt5ConnAckException.class);
  }

  @Test
  void mqtt311ClientsAuthenticateByCertificateAndGetReturnCode5WhenRefused() throws Exception {
    Mqtt3BlockingClient ok =
        v3("v3-1", "subject-device", root.issue(new Spec("CN=subject-device")));
    ok.connect();
    ok.disconnect();
    Mqtt3BlockingClient bad = v3("v3-2", "thumb-device", expiredSelfSigned());
    assertThatThrownBy(bad::connect)
        .isInstanceOfSatisfying(
            Mqtt3ConnAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReturnCode())
                    .isEqualTo(Mqtt3ConnAckReturnCode.NOT_AUTHORIZED));
  }
}
