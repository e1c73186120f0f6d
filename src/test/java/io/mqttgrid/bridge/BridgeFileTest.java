package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttgrid.BrokerConfig;
import io.mqttgrid.bridge.BridgeFile.BridgeConfigException;
import io.mqttgrid.bridge.BridgeFile.Dataflow;
import io.mqttgrid.bridge.BridgeFile.Direction;
import io.mqttgrid.bridge.BridgeFile.Endpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BridgeFileTest {

  @TempDir Path dir;

  private static final String ENDPOINT =
      """
      dataflowEndpoints:
        - name: cloud
          endpointType: Mqtt
          mqttSettings:
            host: 127.0.0.1:21883
      """;

  private static String flow(String source, String destination, String sources, String target) {
    return """
        dataflows:
          - name: flow1
            operations:
              - operationType: Source
                sourceSettings:
                  endpointRef: %s
                  dataSources: %s
              - operationType: Destination
                destinationSettings:
                  endpointRef: %s
                  dataDestination: "%s"
        """
        .formatted(source, sources, destination, target);
  }

  private BridgeFile parse(String text) {
    return BridgeFile.parse(text, dir);
  }

  private static String refusal(Runnable r) {
    try {
      r.run();
    } catch (BridgeConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("not refused");
  }

  @Test
  void sharedSourcesAreKeptAndTheIotOperationsSpellingIsTranslated() {
    Dataflow d =
        parse(ENDPOINT + flow("cloud", "default", "['$shared/g1/a/#', '$share/g2/b', c]", "x"))
            .dataflows()
            .get(0);
    assertThat(d.sources()).containsExactly("$share/g1/a/#", "$share/g2/b", "c");
    assertThat(d.instanceCount()).isEqualTo(1);
    assertThat(d.subscriptionFilters()).containsExactly("$share/g1/a/#", "$share/g2/b", "c");
    assertThat(d.remoteClientId(1)).isEqualTo("mqttgrid-bridge-flow1");
  }

  @Test
  void moreThanOneInstanceSharesThePlainSourcesUnderAGeneratedGroup() {
    Dataflow d =
        parse(
                ENDPOINT
                    + flow("cloud", "default", "['$shared/g1/a/#', 'telemetry/#']", "x")
                        .replace("- name: flow1", "- name: flow1\n    instanceCount: 3"))
            .dataflows()
            .get(0);
    assertThat(d.instanceCount()).isEqualTo(3);
    assertThat(d.subscriptionFilters())
        .containsExactly("$share/g1/a/#", "$share/mqttgrid-bridge-flow1/telemetry/#");
    assertThat(d.remoteClientId(1)).isEqualTo("mqttgrid-bridge-flow1-1");
    assertThat(d.remoteClientId(3)).isEqualTo("mqttgrid-bridge-flow1-3");
    assertThat(d.localClientId(2)).isEqualTo("$bridge/flow1-2");
  }

  @Test
  void anEndpointHasTheIotOperationsDefaults() {
    Endpoint e = parse(ENDPOINT).endpoints().get(0);
    assertThat(e.host()).isEqualTo("127.0.0.1");
    assertThat(e.port()).isEqualTo(21883);
    assertThat(e.mqttVersion()).isEqualTo(5);
    assertThat(e.tls()).isFalse();
    assertThat(e.keepAliveSeconds()).isEqualTo(60);
    assertThat(e.sessionExpirySeconds()).isEqualTo(600);
    assertThat(e.maxInflightMessages()).isEqualTo(100);
    assertThat(e.qos()).isEqualTo(1);
    assertThat(e.retain()).isEqualTo(BridgeFile.Retain.KEEP);
    assertThat(e.authentication().method()).isEqualTo("Anonymous");
    assertThat(e.webSockets()).isFalse();
  }

  @Test
  void aWebSocketEndpointHasItsPath() {
    assertThat(parse(ENDPOINT + "      protocol: WebSockets\n").endpoints().get(0).webSocketPath())
        .isEqualTo("/mqtt");
    assertThat(
            parse(ENDPOINT + "      protocol: WebSockets\n      webSocketPath: /ws\n")
                .endpoints()
                .get(0)
                .webSocketPath())
        .isEqualTo("/ws");
    assertThat(refusal(() -> parse(ENDPOINT + "      protocol: Quic\n")))
        .isEqualTo(
            "dataflowEndpoints[0].mqttSettings.protocol: must be Mqtt (TCP) or WebSockets, got 'Quic'");
    assertThat(refusal(() -> parse(ENDPOINT + "      webSocketPath: /ws\n")))
        .isEqualTo(
            "dataflowEndpoints[0].mqttSettings.webSocketPath: set, but protocol is not WebSockets");
    assertThat(
            refusal(
                () -> parse(ENDPOINT + "      protocol: WebSockets\n      webSocketPath: ws\n")))
        .isEqualTo(
            "dataflowEndpoints[0].mqttSettings.webSocketPath: must start with '/', got 'ws'");
  }

  @Test
  void theSideThatIsTheDefaultEndpointGivesTheDirection() {
    Dataflow up =
        parse(ENDPOINT + flow("default", "cloud", "[tutorial/local]", "telemetry/aio"))
            .dataflows()
            .get(0);
    assertThat(up.direction()).isEqualTo(Direction.LOCAL_TO_REMOTE);
    assertThat(up.sources()).containsExactly("tutorial/local");
    assertThat(up.target().text()).isEqualTo("telemetry/aio");
    assertThat(up.remoteClientId(1)).isEqualTo("mqttgrid-bridge-flow1");
    assertThat(up.localClientId(1)).isEqualTo("$bridge/flow1");
    Dataflow down =
        parse(ENDPOINT + flow("cloud", "default", "['telemetry/#', 'alerts/+']", "tutorial/cloud"))
            .dataflows()
            .get(0);
    assertThat(down.direction()).isEqualTo(Direction.REMOTE_TO_LOCAL);
    assertThat(down.sources()).containsExactly("telemetry/#", "alerts/+");
  }

  @Test
  void aWildcardInTheTargetIsRefusedWithTheField() {
    assertThat(refusal(() -> parse(ENDPOINT + flow("default", "cloud", "[a/#]", "b/#"))))
        .startsWith("dataflows[0].operations[1].destinationSettings.dataDestination:")
        .contains("wildcard");
  }

  @Test
  void mistakesAreRefusedWithTheFieldAndTheReason() throws Exception {
    assertThat(refusal(() -> parse(ENDPOINT.replace("127.0.0.1:21883", "127.0.0.1"))))
        .isEqualTo(
            "dataflowEndpoints[0].mqttSettings.host: must be host:port with a port from 1 to 65535, got "
                + "'127.0.0.1'");
    assertThat(refusal(() -> parse(ENDPOINT + "      qos: 2\n")))
        .isEqualTo("dataflowEndpoints[0].mqttSettings.qos: must be between 0 and 1, got 2");
    assertThat(refusal(() -> parse(ENDPOINT + "      keepAlive: 30\n")))
        .startsWith("dataflowEndpoints[0].mqttSettings.keepAlive: unknown field");
    assertThat(refusal(() -> parse(ENDPOINT + "      retain: Always\n")))
        .isEqualTo("dataflowEndpoints[0].mqttSettings.retain: must be Keep or Never, got 'Always'");
    assertThat(refusal(() -> parse(ENDPOINT + "      mqttVersion: 4\n")))
        .isEqualTo("dataflowEndpoints[0].mqttSettings.mqttVersion: must be 5 or 3.1.1, got '4'");
    assertThat(
            refusal(
                () ->
                    parse(
                        ENDPOINT
                            + "      tls:\n        mode: Enabled\n"
                            + "        trustedCaCertificateFile: missing.pem\n")))
        .startsWith(
            "dataflowEndpoints[0].mqttSettings.tls.trustedCaCertificateFile: cannot read file");
    assertThat(
            refusal(
                () ->
                    parse(
                        ENDPOINT
                            + "      authentication:\n        method: UsernamePassword\n"
                            + "        usernamePasswordSettings:\n          username: edge\n")))
        .startsWith(
            "dataflowEndpoints[0].mqttSettings.authentication.usernamePasswordSettings.passwordFile: "
                + "required");
    assertThat(refusal(() -> parse(ENDPOINT + flow("default", "nowhere", "[a]", "b"))))
        .isEqualTo(
            "dataflows[0].operations[1].destinationSettings.endpointRef: no dataflow endpoint named "
                + "'nowhere'");
    assertThat(refusal(() -> parse(ENDPOINT + flow("default", "default", "[a]", "b"))))
        .startsWith("dataflows[0].operations: one side must be the endpoint 'default'");
    assertThat(refusal(() -> parse(ENDPOINT + flow("default", "cloud", "[]", "b"))))
        .isEqualTo(
            "dataflows[0].operations[0].sourceSettings.dataSources: at least one topic filter");
    assertThat(refusal(() -> parse(ENDPOINT + flow("default", "cloud", "['a/#/b']", "b"))))
        .isEqualTo(
            "dataflows[0].operations[0].sourceSettings.dataSources[0]: 'a/#/b' is not a topic filter");
    assertThat(refusal(() -> parse(ENDPOINT + flow("default", "cloud", "['$share/g']", "b"))))
        .isEqualTo(
            "dataflows[0].operations[0].sourceSettings.dataSources[0]: '$share/g' is not a topic filter");
    assertThat(
            refusal(
                () ->
                    parse(
                        ENDPOINT
                            + flow("cloud", "default", "[a]", "b")
                                .replace("- name: flow1", "- name: flow1\n    instanceCount: 0"))))
        .isEqualTo("dataflows[0].instanceCount: must be between 1 and 64, got 0");
    Files.writeString(dir.resolve("c.pem"), "not a certificate");
    Files.writeString(
        dir.resolve("k.pem"), "-----BEGIN EC PRIVATE KEY-----\n-----END EC PRIVATE KEY-----\n");
    assertThat(
            refusal(
                () ->
                    parse(
                        ENDPOINT
                            + "      tls: {mode: Enabled}\n      authentication:\n"
                            + "        method: X509Certificate\n"
                            + "        x509CertificateSettings: {certificateFile: c.pem, keyFile: k.pem}\n")))
        .startsWith(
            "dataflowEndpoints[0].mqttSettings.authentication.x509CertificateSettings.keyFile: client "
                + "certificate and key unusable");
    assertThat(refusal(() -> parse(ENDPOINT + flow("cloud", "default", "[a]", "$SYS/x"))))
        .startsWith(
            "dataflows[0].operations[1].destinationSettings.dataDestination: '$SYS/x' is a '$' topic");
    assertThat(refusal(() -> parse("dataflowEndpoint: []\n")))
        .startsWith("bridge file.dataflowEndpoint: unknown field");
  }

  @Test
  void theBrokerRefusesToStartWithABadFileAndNamesTheKeyAndTheField() throws Exception {
    Path file = dir.resolve("bridges.yaml");
    Files.writeString(file, ENDPOINT + flow("default", "cloud", "[a]", "x/${inputTopic.0}"));
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("bridge.file", file.toString())))
        .isInstanceOf(BrokerConfig.ConfigException.class)
        .hasMessage(
            "bridge.file "
                + file
                + ": dataflows[0].operations[1].destinationSettings.dataDestination: "
                + "'${inputTopic.0}' is not ${inputTopic} or ${inputTopic.N} (N from 1)");
  }

  @Test
  void theFileMayBeJson() {
    BridgeFile f =
        parse(
            """
        {"dataflowEndpoints": [{"name": "cloud", "mqttSettings": {"host": "h:1", "mqttVersion": "3.1.1",
          "retain": "Never"}}],
         "dataflows": [{"name": "d", "operations": [
           {"operationType": "Source", "sourceSettings": {"endpointRef": "cloud", "dataSources": ["t/#"]}},
           {"operationType": "Destination", "destinationSettings": {"endpointRef": "default"}}]}]}
        """);
    assertThat(f.endpoints().get(0).mqttVersion()).isEqualTo(3);
    assertThat(f.endpoints().get(0).retain()).isEqualTo(BridgeFile.Retain.NEVER);
    assertThat(f.dataflows().get(0).target().text()).isEqualTo("${inputTopic}");
  }

  @Test
  void aTokenFromAFileGoesWithItsAuthenticationMethod() throws Exception {
    Files.writeString(dir.resolve("token.jwt"), "a.b.c\n");
    String token =
        ENDPOINT
            + "      authentication:\n"
            + "        method: ServiceAccountToken\n"
            + "        serviceAccountTokenSettings: %s\n";
    Endpoint e = parse(token.formatted("{ tokenFile: token.jwt }")).endpoints().get(0);
    assertThat(e.authentication().tokenFile()).isEqualTo(dir.resolve("token.jwt"));
    assertThat(e.authentication().tokenMethod()).isEqualTo("CUSTOM-JWT");
    assertThat(
            parse(token.formatted("{ tokenFile: token.jwt, authenticationMethod: K8S-SAT }"))
                .endpoints()
                .get(0)
                .authentication()
                .tokenMethod())
        .isEqualTo("K8S-SAT");
    assertThat(refusal(() -> parse(token.formatted("{ authenticationMethod: K8S-SAT }"))))
        .startsWith(
            "dataflowEndpoints[0].mqttSettings.authentication.serviceAccountTokenSettings.tokenFile:"
                + " required");
    assertThat(refusal(() -> parse(token.formatted("{ tokenFile: missing.jwt }"))))
        .contains("serviceAccountTokenSettings.tokenFile: cannot read file");
    assertThat(refusal(() -> parse(token.formatted("{ tokenFile: token.jwt, audience: x }"))))
        .contains("serviceAccountTokenSettings.audience: unknown field");
  }

  @Test
  void aResponseTopicTheSourcesMatchIsMappedThroughTheTarget() {
    Dataflow d =
        parse(
                ENDPOINT
                    + flow(
                        "default", "cloud", "['edge/#', '$share/g/req/+']", "site7/${inputTopic}"))
            .dataflows()
            .get(0);
    assertThat(d.responseTopic("edge/cmd/resp")).isEqualTo("site7/edge/cmd/resp");
    assertThat(d.responseTopic("req/r1"))
        .as("the filter of a shared source")
        .isEqualTo("site7/req/r1");
    assertThat(d.responseTopic("other/resp"))
        .as("no source matches: as it is")
        .isEqualTo("other/resp");
    assertThat(d.responseTopic(null)).isNull();
    Dataflow levels =
        parse(ENDPOINT + flow("default", "cloud", "['a/#']", "x/${inputTopic.3}"))
            .dataflows()
            .get(0);
    assertThat(levels.responseTopic("a/b/c")).isEqualTo("x/c");
    assertThat(levels.responseTopic("a/b")).as("unresolvable: no response topic").isNull();
  }

  @Test
  void cloudEventAttributesArePropagateOrCreateOrRemap() {
    assertThat(
            parse(ENDPOINT + flow("default", "cloud", "[a]", "b"))
                .endpoints()
                .get(0)
                .cloudEventAttributes())
        .isEqualTo(CloudEventAttributes.Mode.PROPAGATE);
    String remap =
        ENDPOINT + "      cloudEventAttributes: %s\n" + flow("default", "cloud", "[a]", "b");
    assertThat(parse(remap.formatted("CreateOrRemap")).endpoints().get(0).cloudEventAttributes())
        .isEqualTo(CloudEventAttributes.Mode.CREATE_OR_REMAP);
    assertThat(refusal(() -> parse(remap.formatted("Create"))))
        .isEqualTo(
            "dataflowEndpoints[0].mqttSettings.cloudEventAttributes: must be Propagate or"
                + " CreateOrRemap, got 'Create'");
  }
}
