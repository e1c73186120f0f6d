package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TopicAliasTableTest {

  @Test
  void aTopicNameBindsTheAliasAndAnEmptyNameUsesIt() {
    TopicAliasTable t = new TopicAliasTable(10);
    assertThat(t.resolve(3, "a/b")).isEqualTo("a/b");
    assertThat(t.resolve(3, "")).isEqualTo("a/b");
    assertThat(t.resolve(3, null)).isEqualTo("a/b");
  }

  @Test
  void aNewTopicNameRebindsTheAlias() {
    TopicAliasTable t = new TopicAliasTable(10);
    t.resolve(1, "first");
    assertThat(t.resolve(1, "second")).isEqualTo("second");
    assertThat(t.resolve(1, "")).isEqualTo("second");
  }

  @Test
  void anUnboundAliasIsInvalid() {
    TopicAliasTable t = new TopicAliasTable(10);
    t.resolve(1, "a");
    assertThat(t.resolve(2, "")).isNull();
  }

  @Test
  void zeroAndAliasesAboveTheMaximumAreInvalidEvenWithATopicName() {
    TopicAliasTable t = new TopicAliasTable(10);
    assertThat(t.resolve(0, "a")).isNull();
    assertThat(t.resolve(11, "a")).isNull();
    assertThat(t.resolve(10, "a")).isEqualTo("a");
    assertThat(t.resolve(11, "")).isNull();
  }

  @Test
  void aServerThatAllowsNoAliasesRefusesEveryOne() {
    assertThat(new TopicAliasTable(0).resolve(1, "a")).isNull();
  }
}
