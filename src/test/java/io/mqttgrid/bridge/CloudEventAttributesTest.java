package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.routing.PublishedMessage.UserProperty;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CloudEventAttributesTest {

  private static BridgeFile.Dataflow flow(String mode) {
    return BridgeFile.parse(
            """
            dataflowEndpoints:
              - name: cloud
                mqttSettings: { host: "127.0.0.1:1883", cloudEventAttributes: %s }
            dataflows:
              - name: up
                operations:
                  - operationType: Source
                    sourceSettings: { endpointRef: default, dataSources: ["a/#"] }
                  - operationType: Destination
                    destinationSettings: { endpointRef: cloud, dataDestination: "b/${inputTopic}" }
            """
                .formatted(mode),
            Path.of("."))
        .dataflows()
        .get(0);
  }

  private static List<String> names(List<UserProperty> props) {
    return props.stream().map(p -> p.name() + "=" + p.value()).toList();
  }

  @Test
  void propagateLeavesThePropertiesAsTheyAre() {
    List<UserProperty> props = List.of(new UserProperty("site", "7"));
    assertThat(CloudEventAttributes.of(flow("Propagate"), props, "b/a/x", "m1", 0)).isSameAs(props);
  }

  @Test
  void createOrRemapAddsWhatIsMissingAndKeepsWhatIsThere() {
    BridgeFile.Dataflow flow = flow("CreateOrRemap");
    assertThat(
            names(
                CloudEventAttributes.of(
                    flow, List.of(new UserProperty("site", "7")), "b/a/x", "m1", 1_000)))
        .containsExactly(
            "site=7",
            "specversion=1.0",
            "id=m1",
            "type=ms.aio-dataflow.telemetry",
            "source=aio://up",
            "subject=b/a/x",
            "time=1970-01-01T00:00:01Z");
    List<UserProperty> event =
        List.of(
            new UserProperty("specversion", "1.0"),
            new UserProperty("id", "e-42"),
            new UserProperty("type", "com.example.reading"),
            new UserProperty("source", "urn:press-7"));
    assertThat(names(CloudEventAttributes.of(flow, event, "b/a/x", "m2", 1_000)))
        .containsExactly(
            "specversion=1.0",
            "id=e-42",
            "type=com.example.reading",
            "source=urn:press-7",
            "subject=b/a/x",
            "time=1970-01-01T00:00:01Z");
  }
}
