package io.mqttgrid.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttgrid.access.ClientIdentity.Authority;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopicTemplateTest {

  private static final ClientIdentity MACHINE1 =
      new ClientIdentity(
          "Machine1",
          Map.of(
              "area",
              "area1",
              "floor",
              3L,
              "small",
              7,
              "commander",
              Boolean.TRUE,
              "deviceTypes",
              List.of("Fan", "Light"),
              "zones",
              List.of("z1", "z2", "z3")),
          Authority.REGISTRY,
          0);

  private static List<String> instantiate(String template, ClientIdentity identity) {
    return TopicTemplate.parse(template).instantiate(identity);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiterString = " => ",
      quoteCharacter = '`',
      textBlock =
          """
      factory/telemetry/#                                  => factory/telemetry/#
      #                                                    => #
      +/+/x                                                => +/+/x
      machines/${client.authenticationName}/telemetry      => machines/Machine1/telemetry
      machines/${principal.name}/telemetry                 => machines/Machine1/telemetry
      ${client.authenticationName}/#                       => Machine1/#
      a/${client.authenticationName}                       => a/Machine1
      areas/${client.attributes.area}/machines/#           => areas/area1/machines/#
      areas/${principal.attributes.area}/machines/#        => areas/area1/machines/#
      machines/${client.authenticationName}.factory1/temp  => machines/Machine1.factory1/temp
      machines/${client.authenticationName|.factory1}/temp => machines/Machine1.factory1/temp
      machines/dev-${client.authenticationName}/temp       => machines/dev-Machine1/temp
      machines/dev-${client.authenticationName}-x/temp     => machines/dev-Machine1-x/temp
      m/${client.attributes.area}-${client.authenticationName}/t => m/area1-Machine1/t
      m/${client.attributes.area}${client.authenticationName} => m/area1Machine1
      floors/${client.attributes.floor}/+                  => floors/3/+
      floors/${client.attributes.small}                    => floors/7
      commanders/${client.attributes.commander}            => commanders/true
      segment1/+/segment3/${client.authenticationName}     => segment1/+/segment3/Machine1
      a/$b/c                                               => a/$b/c
      a//b/                                                => a//b/
      """)
  void variablesFillWholeOrPartialLevels(String template, String expected) {
    assertThat(instantiate(template, MACHINE1)).containsExactly(expected);
  }

  @Test
  void anArrayAttributeYieldsOneFilterPerElement() {
    assertThat(instantiate("devices/${client.attributes.deviceTypes}/#", MACHINE1))
        .containsExactly("devices/Fan/#", "devices/Light/#");
    assertThat(
            instantiate("d/${client.attributes.deviceTypes}/${client.attributes.zones}", MACHINE1))
        .containsExactly(
            "d/Fan/z1", "d/Fan/z2", "d/Fan/z3", "d/Light/z1", "d/Light/z2", "d/Light/z3");
    assertThat(
            instantiate(
                "d/${client.attributes.deviceTypes}-${client.attributes.deviceTypes}", MACHINE1))
        .containsExactly("d/Fan-Fan", "d/Fan-Light", "d/Light-Fan", "d/Light-Light");
  }

  @Test
  void arrayElementsThatRepeatYieldOneFilter() {
    ClientIdentity client = registry("c", Map.of("tags", List.of("a", "b", "a")));
    assertThat(instantiate("t/${client.attributes.tags}", client)).containsExactly("t/a", "t/b");
  }

  @Test
  void anEmptyArrayYieldsNothing() {
    ClientIdentity client = registry("c", Map.of("tags", List.of()));
    assertThat(instantiate("t/${client.attributes.tags}", client)).isEmpty();
  }

  @Test
  void tooManyCombinationsYieldNothingRatherThanAnArbitraryPart() {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      many.add("v" + i);
    }
    ClientIdentity client = registry("c", Map.of("a", many, "b", many));
    assertThat(instantiate("x/${client.attributes.a}", client)).hasSize(40);
    assertThat(instantiate("x/${client.attributes.a}/${client.attributes.b}", client)).isEmpty();
  }

  @Test
  void aMissingAttributeYieldsNothing() {
    assertThat(instantiate("areas/${client.attributes.missing}/#", MACHINE1)).isEmpty();
    assertThat(
            instantiate("areas/${client.attributes.area}/${client.attributes.missing}", MACHINE1))
        .isEmpty();
    assertThat(instantiate("areas/${client.attributes.Area}/#", MACHINE1))
        .as("keys are exact")
        .isEmpty();
    ClientIdentity nameless = new ClientIdentity(null, Map.of(), Authority.WEBHOOK, 0);
    assertThat(instantiate("m/${client.authenticationName}", nameless)).isEmpty();
  }

  /**
   * Values that would add a level, a wildcard or a NUL never widen the template (spec section 2.5).
   */
  @ParameterizedTest(name = "[{0}]")
  @ValueSource(strings = {"a/b", "/", "+", "#", "a+", "b#", "x\u0000y", "..//", "", "machine1/#"})
  void injectedValuesYieldNothing(String value) {
    ClientIdentity byAttribute = registry("m", Map.of("area", value));
    assertThat(instantiate("areas/${client.attributes.area}/machines", byAttribute)).isEmpty();
    assertThat(instantiate("areas/x${client.attributes.area}/machines", byAttribute)).isEmpty();
    ClientIdentity byName = registry(value, Map.of());
    assertThat(instantiate("machines/${client.authenticationName}/telemetry", byName)).isEmpty();
    assertThat(instantiate("machines/${client.authenticationName|.f1}/telemetry", byName))
        .isEmpty();
    ClientIdentity inArray = registry("m", Map.of("areas", List.of("ok", value)));
    assertThat(instantiate("areas/${client.attributes.areas}", inArray))
        .containsExactly("areas/ok");
  }

  @Test
  void aValueIsNotExpandedAgain() {
    ClientIdentity client = registry("${client.attributes.secret}", Map.of("secret", "s"));
    assertThat(instantiate("m/${client.authenticationName}", client))
        .containsExactly("m/${client.attributes.secret}");
  }

  @Test
  void aValueCannotMakeTheFilterReserved() {
    ClientIdentity sys = registry("$SYS", Map.of("prefix", "$share"));
    assertThat(instantiate("${client.authenticationName}/#", sys)).isEmpty();
    assertThat(instantiate("${client.attributes.prefix}/g/#", sys)).isEmpty();
    assertThat(instantiate("${client.attributes.prefix}x", sys)).isEmpty();
    assertThat(instantiate("m/${client.authenticationName}", sys)).containsExactly("m/$SYS");
  }

  @Test
  void valuesOfOtherTypesYieldNothing() {
    Map<String, Object> attributes = new HashMap<>();
    attributes.put("ratio", 1.5d);
    attributes.put("nested", List.of(List.of("a")));
    attributes.put("mixed", List.of("a", 2L, 2.5d, true));
    ClientIdentity client = registry("c", attributes);
    assertThat(instantiate("r/${client.attributes.ratio}", client)).isEmpty();
    assertThat(instantiate("r/${client.attributes.nested}", client)).isEmpty();
    assertThat(instantiate("r/${client.attributes.mixed}", client))
        .containsExactly("r/a", "r/2", "r/true");
  }

  @Test
  void theAuthenticationNameKeepsItsCase() {
    assertThat(instantiate("m/${client.authenticationName}", registry("MiXeD", Map.of())))
        .containsExactly("m/MiXeD");
  }

  @ParameterizedTest(name = "[{0}]")
  @CsvSource(
      delimiterString = " => ",
      quoteCharacter = '`',
      textBlock =
          """
      ``                                 => topic template: empty
      $SYS/#                             => topic template '$SYS/#': topics beginning with '$' are reserved; a template cannot grant them
      $share/g/a                         => topic template '$share/g/a': topics beginning with '$' are reserved; a template cannot grant them
      a/${client.authenticationName      => topic template 'a/${client.authenticationName': unterminated variable at position 3
      a/${client.attributes.x/y}         => topic template 'a/${client.attributes.x/y}': a variable cannot span '/' at position 3
      a/${client.attributes.x|/y}        => topic template 'a/${client.attributes.x|/y}': a variable cannot span '/' at position 3
      a/${client.name}                   => topic template 'a/${client.name}': unknown variable '${client.name}'; expected ${client.authenticationName} or ${client.attributes.<key>} (<key> of letters, digits and '_') at position 3
      a/${client.attributes.}            => topic template 'a/${client.attributes.}': unknown variable '${client.attributes.}'; expected ${client.authenticationName} or ${client.attributes.<key>} (<key> of letters, digits and '_') at position 3
      a/${client.attributes.a-b}         => topic template 'a/${client.attributes.a-b}': unknown variable '${client.attributes.a-b}'; expected ${client.authenticationName} or ${client.attributes.<key>} (<key> of letters, digits and '_') at position 3
      a/${Client.AuthenticationName}     => topic template 'a/${Client.AuthenticationName}': unknown variable '${Client.AuthenticationName}'; expected ${client.authenticationName} or ${client.attributes.<key>} (<key> of letters, digits and '_') at position 3
      a/${}                              => topic template 'a/${}': unknown variable '${}'; expected ${client.authenticationName} or ${client.attributes.<key>} (<key> of letters, digits and '_') at position 3
      a/${client.authenticationName|+}   => topic template 'a/${client.authenticationName|+}': the suffix after '|' cannot contain '+' at position 31
      a/${client.authenticationName|x#}  => topic template 'a/${client.authenticationName|x#}': the suffix after '|' cannot contain '#' at position 32
      a/${client.authenticationName|a|b} => topic template 'a/${client.authenticationName|a|b}': the suffix after '|' cannot contain '|' at position 32
      a/b+                               => topic template 'a/b+': '+' must fill a whole level at position 4
      a/+b                               => topic template 'a/+b': '+' must fill a whole level at position 3
      a/#/b                              => topic template 'a/#/b': '#' must be the last level at position 3
      a#                                 => topic template 'a#': '#' must fill a whole level at position 2
      a/${client.authenticationName}+    => topic template 'a/${client.authenticationName}+': '+' must fill a whole level at position 31
      a/+${client.authenticationName}    => topic template 'a/+${client.authenticationName}': '+' must fill a whole level at position 3
      a/#${client.authenticationName}    => topic template 'a/#${client.authenticationName}': '#' must fill a whole level at position 3
      """)
  void parseErrorsNameTheProblem(String template, String message) {
    assertThatThrownBy(() -> TopicTemplate.parse(template))
        .isInstanceOf(TemplateException.class)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void aNulCharacterOrNoTemplateIsRefused() {
    assertThatThrownBy(() -> TopicTemplate.parse("a/\u0000"))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("NUL character at position 3");
    assertThatThrownBy(() -> TopicTemplate.parse(null))
        .isInstanceOf(TemplateException.class)
        .hasMessage("topic template: empty");
  }

  @Test
  void aTemplateMayBeginWithAVariable() {
    assertThat(TopicTemplate.parse("${client.authenticationName}/#").source())
        .isEqualTo("${client.authenticationName}/#");
  }

  /**
   * Filter containment (spec section 2.5): whether every topic the filter matches is matched by the
   * granted template filter; one template must cover the whole filter.
   */
  @ParameterizedTest(name = "{0} covers {1}: {2}")
  @CsvSource(
      delimiterString = " => ",
      quoteCharacter = '`',
      textBlock =
          """
      telemetry/#                 => telemetry/#                 => true
      telemetry/#                 => telemetry/+/x               => true
      telemetry/#                 => telemetry/aio               => true
      telemetry/#                 => telemetry                   => true
      telemetry/#                 => telemetry/a/b/c/#           => true
      telemetry/#                 => #                           => false
      telemetry/#                 => +/x                         => false
      telemetry/#                 => +                           => false
      telemetry/#                 => telemetryX/a                => false
      telemetry/#                 => other/#                     => false
      #                           => #                           => true
      #                           => a/b/#                       => true
      #                           => +/+                         => true
      #                           => a                           => true
      #                           => /                           => true
      +                           => a                           => true
      +                           => +                           => true
      +                           => #                           => false
      +                           => a/b                         => false
      +                           => a/+                         => false
      +                           => ``                          => true
      +/x                         => a/x                         => true
      +/x                         => +/x                         => true
      +/x                         => +/y                         => false
      +/x                         => #                           => false
      +/#                         => a/#                         => true
      +/#                         => +/#                         => true
      +/#                         => #                           => false
      a/+                         => a/b                         => true
      a/+                         => a/+                         => true
      a/+                         => a/#                         => false
      a/+                         => a                           => false
      a/+                         => a/b/c                       => false
      a/+                         => a/                          => true
      a/b                         => a/b                         => true
      a/b                         => a/+                         => false
      a/b                         => a/#                         => false
      a/b                         => a/B                         => false
      a/b                         => a/b/c                       => false
      a/b                         => a                           => false
      a/b/c                       => a/b                         => false
      a//b                        => a//b                        => true
      a//b                        => a/+/b                       => false
      a/+/b                       => a//b                        => true
      machines/machine1/telemetry => machines/machine1/telemetry => true
      machines/machine1/telemetry => machines/+/telemetry        => false
      #                           => $SYS/#                      => false
      +/x                         => $SYS/x                      => false
      """)
  void coversComparesLevelByLevel(String granted, String filter, boolean expected) {
    assertThat(TopicTemplate.covers(granted, filter)).isEqualTo(expected);
  }

  @Test
  void templatePublishExampleOfTheSpec() {
    // machines/${client.authenticationName}/telemetry lets machine1 publish only its own topic
    List<String> filters =
        instantiate(
            "machines/${client.authenticationName}/telemetry", registry("machine1", Map.of()));
    assertThat(filters).containsExactly("machines/machine1/telemetry");
  }

  private static ClientIdentity registry(String name, Map<String, Object> attributes) {
    return new ClientIdentity(name, attributes, Authority.REGISTRY, 0);
  }
}
