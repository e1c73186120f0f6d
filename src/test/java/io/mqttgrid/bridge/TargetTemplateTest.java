package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TargetTemplateTest {

  @Test
  void aStaticTargetTakesEveryMessage() {
    TargetTemplate t = TargetTemplate.parse("factory/telemetry");
    assertThat(t.dynamic()).isFalse();
    assertThat(t.resolve("telemetry/a/b")).isEqualTo("factory/telemetry");
  }

  @Test
  void inputTopicIsTheWholeSourceTopic() {
    assertThat(TargetTemplate.parse("${inputTopic}").resolve("a/b/c")).isEqualTo("a/b/c");
    assertThat(TargetTemplate.parse("cloud/${inputTopic}").resolve("a/b")).isEqualTo("cloud/a/b");
  }

  @Test
  void inputTopicNIsTheNthLevelCountedFromOne() {
    TargetTemplate t = TargetTemplate.parse("factory/${inputTopic.2}/${inputTopic.1}");
    assertThat(t.resolve("sensors/press-7/temp")).isEqualTo("factory/press-7/sensors");
  }

  @Test
  void aLeadingOrTrailingSlashOfTheSourceIsIgnored() {
    TargetTemplate t = TargetTemplate.parse("x/${inputTopic.1}");
    assertThat(t.resolve("/a/b/")).isEqualTo("x/a");
  }

  @Test
  void aMissingOrEmptyLevelIsUnresolvable() {
    TargetTemplate t = TargetTemplate.parse("x/${inputTopic.3}");
    assertThat(t.resolve("a/b")).isNull();
    assertThat(t.resolve("a/b//")).isNull();
    assertThat(TargetTemplate.parse("x/${inputTopic.2}").resolve("a//c")).isNull();
  }

  @Test
  void wildcardsAndUnknownPlaceholdersAreRefused() {
    assertThatThrownBy(() -> TargetTemplate.parse("a/+/b")).hasMessageContaining("wildcard");
    assertThatThrownBy(() -> TargetTemplate.parse("a/#")).hasMessageContaining("wildcard");
    assertThatThrownBy(() -> TargetTemplate.parse("a/${inputTopic.0}"))
        .hasMessageContaining("N from 1");
    assertThatThrownBy(() -> TargetTemplate.parse("a/${outputTopic}"))
        .hasMessageContaining("${outputTopic}");
    assertThatThrownBy(() -> TargetTemplate.parse("a/${inputTopic"))
        .hasMessageContaining("without its '}'");
    assertThatThrownBy(() -> TargetTemplate.parse("")).hasMessageContaining("empty");
  }
}
