package io.mqttgrid.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicsTest {

  private static final int MAX_BYTES = 256;
  private static final int MAX_LEVELS = 15;

  /**
   * MQTT 5 section 4.7: '+' matches exactly one level (an empty one too), '#' the parent level and
   * any number of levels below, matching is case-sensitive, and wildcards at the first level never
   * match a topic starting with '$' (MQTT-4.7.2-1). Quoted values keep leading or trailing '/' and
   * spaces.
   */
  static final String MATCH_CASES =
      """
      'a/b/c',          'a/b/c',                          true
      'a/b/c',          'a/b',                            false
      'a/b',            'a/b/c',                          false
      'a/b/c',          'a/b/d',                          false
      'a/+/c',          'a/b/c',                          true
      'a/+/c',          'a/b/d',                          false
      'a/+/c',          'a//c',                           true
      'a/+',            'a/b/c',                          false
      'a/+',            'a/',                             true
      'a/+',            'a',                              false
      '+',              'a',                              true
      '+',              '/a',                             false
      '+',              'a/',                             false
      '+/+',            '/a',                             true
      '+/+',            '/',                              true
      '+/+',            'a/b',                            true
      '+/+',            'a',                              false
      '+/+',            'a/b/c',                          false
      '/+',             '/a',                             true
      '/+',             'a/b',                            false
      '+/b/+',          'a/b/c',                          true
      '+/b/+',          'a/x/c',                          false
      '#',              'a',                              true
      '#',              'a/b/c',                          true
      '#',              '/',                              true
      '#',              '/a',                             true
      'a/#',            'a',                              true
      'a/#',            'a/',                             true
      'a/#',            'a/b/c',                          true
      'a/#',            'ab',                             false
      'a/#',            'ab/c',                           false
      'a/#',            'b/a',                            false
      'a/b/#',          'a/b',                            true
      'a/b/#',          'a',                              false
      'a/b/#',          'a/c/b',                          false
      '+/#',            'a',                              true
      '+/#',            'a/b/c',                          true
      '+/b/#',          'a/b',                            true
      '+/b/#',          'a/c',                            false
      '/#',             '/a',                             true
      '/#',             'a',                              false
      'sport/tennis/+', 'sport/tennis/player1',           true
      'sport/tennis/+', 'sport/tennis/player1/ranking',   false
      'sport/+',        'sport',                          false
      'sport/+',        'sport/',                         true
      'sport/#',        'sport',                          true
      'A/b',            'a/b',                            false
      'a/B',            'a/b',                            false
      'a b/c',          'a b/c',                          true
      'a b/c',          'ab/c',                           false
      'ü/+',            'ü/x',                            true
      'ü/+',            'u/x',                            false
      'a/b',            'a/b/',                           false
      'a/b/',           'a/b/',                           true
      'a/b/+',          'a/b/',                           true
      '#',              '$SYS/broker',                    false
      '+/broker',       '$SYS/broker',                    false
      '+/#',            '$SYS/broker',                    false
      '+',              '$SYS',                           false
      '#',              '$',                              false
      '$SYS/#',         '$SYS/broker',                    true
      '$SYS/#',         '$SYS',                           true
      '$SYS/+',         '$SYS/broker',                    true
      '$SYS',           '$SYS',                           true
      '$SYS/+',         '$OTHER/broker',                  false
      'a/+',            'a/$b',                           true
      'a/#',            'a/$b/c',                         true
      '+/+',            'a/$b',                           true
      """;

  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource(textBlock = MATCH_CASES)
  void filterMatchesTopicPerMqtt47(String filter, String topic, boolean expected) {
    assertThat(Topics.matches(filter, topic)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "filter {0}: {1}")
  @CsvSource(
      textBlock =
          """
      'a',                OK
      'a/b/c',            OK
      '#',                OK
      '+',                OK
      'a/#',              OK
      'a/+/c',            OK
      '+/+/+',            OK
      '/',                OK
      '+/',               OK
      '/#',               OK
      'a//b',             OK
      '$SYS/#',           OK
      'a#',               BAD_WILDCARD
      'a/#/b',            BAD_WILDCARD
      '#/a',              BAD_WILDCARD
      '##',               BAD_WILDCARD
      'a/b#',             BAD_WILDCARD
      'a/+b',             BAD_WILDCARD
      'a+/b',             BAD_WILDCARD
      '++',               BAD_WILDCARD
      'a/++/b',           BAD_WILDCARD
      '$share/g/a/#',     OK
      '$share/g/+',       OK
      '$share/group-1/#', OK
      '$share/g/',        BAD_SHARE
      '$share/g',         BAD_SHARE
      '$share//a',        BAD_SHARE
      '$share/g+/a',      BAD_SHARE
      '$share/g#/a',      BAD_SHARE
      '$share/g/a#',      BAD_WILDCARD
      '$share/g/#/a',     BAD_WILDCARD
      """)
  void filterIsCheckedPerMqtt47(String filter, Topics.Check expected) {
    assertThat(Topics.checkFilter(filter, MAX_BYTES, MAX_LEVELS)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "name {0}: {1}")
  @CsvSource(
      textBlock =
          """
      'a',          OK
      'a/b/c',      OK
      '/',          OK
      'a//b',       OK
      'a b',        OK
      '$SYS/x',     OK
      'a/+',        WILDCARD_IN_NAME
      'a/#',        WILDCARD_IN_NAME
      '#',          WILDCARD_IN_NAME
      'a+b',        WILDCARD_IN_NAME
      """)
  void topicNameIsCheckedPerMqtt47(String topic, Topics.Check expected) {
    assertThat(Topics.checkName(topic, MAX_BYTES, MAX_LEVELS)).isEqualTo(expected);
  }

  @org.junit.jupiter.api.Test
  void emptyNamesAndFiltersAreRefused() {
    assertThat(Topics.checkName("", MAX_BYTES, MAX_LEVELS)).isEqualTo(Topics.Check.EMPTY);
    assertThat(Topics.checkName(null, MAX_BYTES, MAX_LEVELS)).isEqualTo(Topics.Check.EMPTY);
    assertThat(Topics.checkFilter("", MAX_BYTES, MAX_LEVELS)).isEqualTo(Topics.Check.EMPTY);
    assertThat(Topics.checkFilter(null, MAX_BYTES, MAX_LEVELS)).isEqualTo(Topics.Check.EMPTY);
  }

  @org.junit.jupiter.api.Test
  void nulAndUndecodableCharactersAreRefused() {
    assertThat(Topics.checkName("a\u0000b", MAX_BYTES, MAX_LEVELS))
        .isEqualTo(Topics.Check.BAD_CHARACTER);
    assertThat(Topics.checkName("a\uFFFDb", MAX_BYTES, MAX_LEVELS))
        .isEqualTo(Topics.Check.BAD_CHARACTER);
    assertThat(Topics.checkFilter("a/\u0000", MAX_BYTES, MAX_LEVELS))
        .isEqualTo(Topics.Check.BAD_CHARACTER);
  }

  @org.junit.jupiter.api.Test
  void lengthLimitCountsUtf8BytesNotCharacters() {
    assertThat(Topics.checkName("a".repeat(256), MAX_BYTES, MAX_LEVELS)).isEqualTo(Topics.Check.OK);
    assertThat(Topics.checkName("a".repeat(257), MAX_BYTES, MAX_LEVELS))
        .isEqualTo(Topics.Check.TOO_LONG);
    // 128 characters of two bytes each fit; 129 do not, although 129 characters are far below 256
    assertThat(Topics.checkName("é".repeat(128), MAX_BYTES, MAX_LEVELS)).isEqualTo(Topics.Check.OK);
    assertThat(Topics.checkName("é".repeat(129), MAX_BYTES, MAX_LEVELS))
        .isEqualTo(Topics.Check.TOO_LONG);
    assertThat(Topics.checkFilter("é".repeat(129), MAX_BYTES, MAX_LEVELS))
        .isEqualTo(Topics.Check.TOO_LONG);
    assertThat(Topics.checkFilter("a/".repeat(127) + "#", MAX_BYTES, 200))
        .isEqualTo(Topics.Check.OK);
  }

  @org.junit.jupiter.api.Test
  void levelLimitAppliesToNamesAndFilters() {
    String fifteen = String.join("/", java.util.Collections.nCopies(15, "l"));
    assertThat(Topics.checkName(fifteen, MAX_BYTES, MAX_LEVELS)).isEqualTo(Topics.Check.OK);
    assertThat(Topics.checkName(fifteen + "/l", MAX_BYTES, MAX_LEVELS))
        .isEqualTo(Topics.Check.TOO_MANY_LEVELS);
    assertThat(Topics.checkFilter(fifteen, MAX_BYTES, MAX_LEVELS)).isEqualTo(Topics.Check.OK);
    assertThat(Topics.checkFilter(fifteen + "/#", MAX_BYTES, MAX_LEVELS))
        .isEqualTo(Topics.Check.TOO_MANY_LEVELS);
    // the $share/{group}/ prefix does not count as levels of the filter
    assertThat(Topics.checkFilter("$share/g/" + fifteen, MAX_BYTES, MAX_LEVELS))
        .isEqualTo(Topics.Check.OK);
  }

  @org.junit.jupiter.api.Test
  void sharedFilterSplitsGroupAndFilter() {
    assertThat(Topics.SharedFilter.parse("$share/g1/a/+/c"))
        .isEqualTo(new Topics.SharedFilter("g1", "a/+/c"));
    assertThat(Topics.SharedFilter.parse("$share/g1/#"))
        .isEqualTo(new Topics.SharedFilter("g1", "#"));
    assertThat(Topics.SharedFilter.parse("$share/g1//"))
        .isEqualTo(new Topics.SharedFilter("g1", "/"));
    assertThat(Topics.SharedFilter.parse("a/b")).isNull();
    assertThat(Topics.SharedFilter.parse("$share/g1")).isNull();
    assertThat(Topics.SharedFilter.parse("$share/g1/")).isNull();
    assertThat(Topics.SharedFilter.parse("$share/+/a")).isNull();
  }

  @org.junit.jupiter.api.Test
  void wildcardsAreDetected() {
    assertThat(Topics.hasWildcard("a/+/b")).isTrue();
    assertThat(Topics.hasWildcard("a/#")).isTrue();
    assertThat(Topics.hasWildcard("a/b")).isFalse();
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {"", "a", "/", "//", "a/", "/a", "a//b", "a/b/c", "#", "+/x/#", "$SYS/x"})
  void levelsAreTheSlashSeparatedPartsEmptyOnesKept(String topic) {
    assertThat(Topics.levels(topic)).containsExactly(topic.split("/", -1));
  }
}
