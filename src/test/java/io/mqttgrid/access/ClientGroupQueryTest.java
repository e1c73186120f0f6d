package io.mqttgrid.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttgrid.access.ClientIdentity.Authority;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClientGroupQueryTest {

  /** The client of spec section 2.3, with a few more attribute kinds. */
  private static final ClientIdentity CLIENT =
      new ClientIdentity(
          "Client1-AuthnID",
          Map.of(
              "room",
              "345",
              "floor",
              3L,
              "deviceTypes",
              List.of("Fan", "Light"),
              "commander",
              "true",
              "enabled",
              Boolean.TRUE,
              "type",
              "sensor",
              "sensors",
              List.of("motion", "humidity"),
              "negative",
              -7L,
              "small",
              5),
          Authority.REGISTRY,
          0);

  private static boolean eval(String query) {
    return ClientGroupQuery.parse(query).matches(CLIENT);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
      attributes.room = '345'                                  | true
      attributes.room = "345"                                  | true
      attributes.room = '346'                                  | false
      attributes.room != '346'                                 | true
      attributes.room <> '346'                                 | true
      attributes.room != '345'                                 | false
      attributes.room <> '345'                                 | false
      attributes.floor = 3                                     | true
      attributes.floor = 4                                     | false
      attributes.floor != 4                                    | true
      attributes.floor < 4                                     | true
      attributes.floor < 3                                     | false
      attributes.floor <= 3                                    | true
      attributes.floor <= 2                                    | false
      attributes.floor > 2                                     | true
      attributes.floor > 3                                     | false
      attributes.floor >= 3                                    | true
      attributes.floor >= 4                                    | false
      attributes.negative < -6                                 | true
      attributes.negative = -7                                 | true
      attributes.negative > 0                                  | false
      attributes.small = 5                                     | true
      attributes.small >= 5                                    | true
      attributes.floor IN [1, 2, 3]                            | true
      attributes.floor IN [1, 2]                               | false
      attributes.room IN ['1', "345"]                          | true
      attributes.room IN ['1', '2']                            | false
      attributes.floor<=5                                      | true
      attributes.floor<>3                                      | false
      attributes.room IN['345']                                | true
      attributes.floor=3                                       | true
      attributes.floor = -0                                    | false
      attributes.floor = 9223372036854775807                   | false
      attributes.floor > -9223372036854775808                  | true
      """)
  void everyOperatorOnScalarAttributes(String query, boolean expected) {
    assertThat(eval(query)).isEqualTo(expected);
  }

  /** Spec section 2.4 examples, evaluated against the section 2.3 client. */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
      attributes.type = 'sensor' and attributes.floor <= 5                                                 | true
      (attributes.sensors = "motion" or attributes.sensors = "humidity") or attributes.type = "home-sensors" | true
      attributes.sensors IN ["motion", "humidity", "temperature"] and attributes.floor <= 5                 | true
      authenticationName IN ['client1', 'client2']                                                         | false
      authenticationName IN ['client1-authnid', 'client2']                                                 | true
      attributes.commander = "true"                                                                        | true
      attributes.keyName IN ['a','b','c']                                                                  | false
      """)
  void documentedExamples(String query, boolean expected) {
    assertThat(eval(query)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
      attributes.room = '1' and attributes.room = '1' or attributes.floor = 3      | true
      attributes.floor = 3 or attributes.room = '1' and attributes.room = '1'      | true
      attributes.room = '1' and (attributes.room = '1' or attributes.floor = 3)    | false
      (attributes.floor = 3 or attributes.room = '1') and attributes.room = '1'    | false
      attributes.floor = 3 and attributes.room = '345' and attributes.type = 'x'   | false
      attributes.floor = 1 or attributes.room = '1' or attributes.type = 'sensor'  | true
      ((((attributes.floor = 3))))                                                 | true
      (attributes.floor = 3) and ((attributes.room = '345') or (attributes.x = 1)) | true
      attributes.floor = 3 AND attributes.room = '345'                             | true
      attributes.floor = 9 Or attributes.room = '345'                              | true
      attributes.floor In [3]                                                      | true
      attributes.floor in [3]                                                      | true
      AuthenticationName = 'client1-authnid'                                       | true
      AUTHENTICATIONNAME = 'CLIENT1-AUTHNID'                                       | true
      Attributes.floor = 3                                                         | true
      """)
  void andBindsTighterThanOrAndKeywordsIgnoreCase(String query, boolean expected) {
    assertThat(eval(query)).isEqualTo(expected);
  }

  @Test
  void attributeKeysAreCaseSensitive() {
    assertThat(eval("attributes.Floor = 3")).isFalse();
    assertThat(eval("attributes.floor = 3")).isTrue();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
      attributes.missing = 'x'            | false
      attributes.missing != 'x'           | false
      attributes.missing <> 'x'           | false
      attributes.missing < 1              | false
      attributes.missing >= 1             | false
      attributes.missing IN ['x', 1]      | false
      """)
  void aMissingAttributeMakesEveryComparisonFalse(String query, boolean expected) {
    assertThat(eval(query)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
      attributes.deviceTypes = 'Fan'               | true
      attributes.deviceTypes = 'Light'             | true
      attributes.deviceTypes = 'fan'               | false
      attributes.deviceTypes = 'Heater'            | false
      attributes.deviceTypes != 'Heater'           | true
      attributes.deviceTypes != 'Fan'              | false
      attributes.deviceTypes <> 'Light'            | false
      attributes.deviceTypes IN ['Heater', 'Fan']  | true
      attributes.deviceTypes IN ['Heater', 'Pump'] | false
      attributes.deviceTypes < 5                   | false
      """)
  void arrayAttributesMatchWhenAnyElementDoes(String query, boolean expected) {
    assertThat(eval(query)).isEqualTo(expected);
  }

  @Test
  void anEmptyArrayEqualsNothingAndDiffersFromEverything() {
    ClientIdentity client = registry("c", Map.of("tags", List.of()));
    assertThat(ClientGroupQuery.parse("attributes.tags = 'a'").matches(client)).isFalse();
    assertThat(ClientGroupQuery.parse("attributes.tags IN ['a']").matches(client)).isFalse();
    assertThat(ClientGroupQuery.parse("attributes.tags != 'a'").matches(client)).isTrue();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
      attributes.room = 345         | false
      attributes.room != 345        | true
      attributes.room IN [345]      | false
      attributes.room > 1           | false
      attributes.floor = '3'        | false
      attributes.floor IN ['3', 4]  | false
      attributes.floor IN ['3', 3]  | true
      attributes.floor != '3'       | true
      attributes.enabled = 'true'   | true
      attributes.enabled = 'false'  | false
      attributes.enabled != 'false' | true
      attributes.enabled = 'True'   | false
      attributes.enabled = 1        | false
      attributes.enabled > 0        | false
      attributes.type = 'Sensor'    | false
      attributes.type = 'sensor '   | false
      """)
  void valuesCompareOnlyWithLiteralsOfTheirOwnTypeAndStringsAreCaseSensitive(
      String query, boolean expected) {
    assertThat(eval(query)).isEqualTo(expected);
  }

  @Test
  void authenticationNameComparesCaseInsensitively() {
    assertThat(eval("authenticationName = 'client1-authnid'")).isTrue();
    assertThat(eval("authenticationName = 'CLIENT1-AUTHNID'")).isTrue();
    assertThat(eval("authenticationName != 'client1-AUTHNID'")).isFalse();
    assertThat(eval("authenticationName <> 'other'")).isTrue();
    assertThat(eval("authenticationName = 'client1'")).isFalse();
  }

  @Test
  void jwtAndWebhookAttributesParticipateLikeRegistryAttributes() {
    ClientGroupQuery query = ClientGroupQuery.parse("attributes.role = 'admin'");
    for (Authority authority : Authority.values()) {
      ClientIdentity identity = new ClientIdentity("p", Map.of("role", "admin"), authority, 0);
      assertThat(query.matches(identity)).as(authority.name()).isTrue();
    }
  }

  @Test
  void stringLiteralsKeepTheOtherQuoteAndSpaces() {
    ClientIdentity client = registry("c", Map.of("label", "it's \"fine\" ", "empty", ""));
    assertThat(ClientGroupQuery.parse("attributes.label = \"it's \"").matches(client)).isFalse();
    assertThat(ClientGroupQuery.parse("attributes.empty = ''").matches(client)).isTrue();
    assertThat(ClientGroupQuery.parse("attributes.empty = \"\"").matches(client)).isTrue();
    ClientIdentity quoted = registry("c", Map.of("a", "it's", "b", "say \"hi\""));
    assertThat(ClientGroupQuery.parse("attributes.a = \"it's\"").matches(quoted)).isTrue();
    assertThat(ClientGroupQuery.parse("attributes.b = 'say \"hi\"'").matches(quoted)).isTrue();
  }

  @Test
  void nonAsciiStringsCompareExactly() {
    ClientIdentity client = registry("c", Map.of("site", "Zürich"));
    assertThat(ClientGroupQuery.parse("attributes.site = 'Zürich'").matches(client)).isTrue();
    assertThat(ClientGroupQuery.parse("attributes.site = 'Zurich'").matches(client)).isFalse();
  }

  @Test
  void whitespaceOfAnyKindSeparatesTokens() {
    assertThat(eval("\n\tattributes.floor\t=\n3  and\r\nattributes.room  =  '345' ")).isTrue();
  }

  @Test
  void notIsAnExtensionThatMustBeEnabled() {
    assertThatThrownBy(() -> ClientGroupQuery.parse("not attributes.floor = 3"))
        .isInstanceOf(QueryException.class)
        .hasMessage(
            "query: 'not' is not supported (an extension that is not enabled) at position 1");
    assertThat(ClientGroupQuery.parse("not attributes.floor = 3", true).matches(CLIENT)).isFalse();
    assertThat(ClientGroupQuery.parse("NOT attributes.floor = 4", true).matches(CLIENT)).isTrue();
    assertThat(ClientGroupQuery.parse("not not attributes.floor = 3", true).matches(CLIENT))
        .isTrue();
    // not binds tighter than and
    assertThat(
            ClientGroupQuery.parse("not attributes.floor = 4 and attributes.room = '1'", true)
                .matches(CLIENT))
        .isFalse();
    assertThat(
            ClientGroupQuery.parse("not (attributes.floor = 4 and attributes.room = '1')", true)
                .matches(CLIENT))
        .isTrue();
    // on a missing attribute the comparison is false, so its negation is true
    assertThat(ClientGroupQuery.parse("not attributes.missing = 'x'", true).matches(CLIENT))
        .isTrue();
  }

  /** Each error names the 1-based position and what was expected there. */
  @ParameterizedTest(name = "[{0}]")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
      ``                                   | query: expected authenticationName, attributes.<key> or '(' at position 1, found the end of the query
      `   `                                | query: expected authenticationName, attributes.<key> or '(' at position 4, found the end of the query
      attributes.floor foo 3               | query: expected a comparison operator (=, !=, <>, <, >, <=, >=) or IN at position 18, found 'foo'
      attributes.floor                     | query: expected a comparison operator (=, !=, <>, <, >, <=, >=) or IN at position 17, found the end of the query
      attributes.floor =                   | query: expected a string or integer literal at position 19, found the end of the query
      attributes.floor = 3 attributes.x = 1 | query: expected 'and', 'or' or the end of the query at position 22, found 'attributes.x'
      attributes.floor = 3 and             | query: expected authenticationName, attributes.<key> or '(' at position 25, found the end of the query
      attributes.floor = 3 or or x = 1     | query: expected authenticationName, attributes.<key> or '(' at position 25, found 'or'
      floor = 3                            | query: expected authenticationName, attributes.<key> or '(' at position 1, found 'floor'
      client.floor = 3                     | query: expected authenticationName, attributes.<key> or '(' at position 1, found 'client.floor'
      attributes. = 3                      | query: expected an attribute key of letters, digits and '_' at position 1, found 'attributes.'
      attributes.a.b = 3                   | query: expected an attribute key of letters, digits and '_' at position 1, found 'attributes.a.b'
      (attributes.floor = 3                | query: expected 'and', 'or' or ')' at position 22, found the end of the query
      attributes.floor = 3)                | query: expected 'and', 'or' or the end of the query at position 21, found ')'
      ()                                   | query: expected authenticationName, attributes.<key> or '(' at position 2, found ')'
      attributes.floor IN 3                | query: expected '[' after IN at position 21, found '3'
      attributes.floor IN []               | query: expected a string or integer literal at position 22, found ']'
      attributes.floor IN [1 2]            | query: expected ',' or ']' at position 24, found '2'
      attributes.floor IN [1,]             | query: expected a string or integer literal at position 24, found ']'
      attributes.floor IN [1               | query: expected ',' or ']' at position 23, found the end of the query
      attributes.room = 'abc               | query: unterminated string starting at position 19
      attributes.room = "abc'              | query: unterminated string starting at position 19
      attributes.floor ! 3                 | query: unexpected character '!' (did you mean '!='?) at position 18
      attributes.floor == 3                | query: expected a string or integer literal at position 19, found '='
      attributes.floor => 3                | query: expected a string or integer literal at position 19, found '>'
      attributes.floor = 3 && x            | query: unexpected character '&' at position 22
      attributes.floor = 3.5               | query: unexpected character '.' at position 21
      attributes.floor = 99999999999999999999 | query: integer 99999999999999999999 is outside the 64-bit range at position 20
      attributes.floor < 'abc'             | query: operator '<' compares integers; expected an integer at position 20, found 'abc'
      attributes.floor >= "3"              | query: operator '>=' compares integers; expected an integer at position 21, found "3"
      attributes.floor < x                 | query: expected an integer at position 20, found 'x'
      authenticationName = 5               | query: authenticationName is compared with strings; expected a quoted string at position 22, found '5'
      authenticationName IN ['a', 5]       | query: authenticationName is compared with strings; expected a quoted string at position 29, found '5'
      authenticationName < 5               | query: authenticationName is compared with strings; expected a quoted string at position 22, found '5'
      attributes.commander = true          | query: expected a string or integer literal at position 24, found 'true' (quote it: 'true')
      attributes.commander = FALSE         | query: expected a string or integer literal at position 24, found 'FALSE' (quote it: 'FALSE')
      attributes.x = - 1                   | query: unexpected character '-' at position 16
      """)
  void errorsNameThePositionAndWhatWasExpected(String query, String message) {
    assertThatThrownBy(() -> ClientGroupQuery.parse(query))
        .isInstanceOf(QueryException.class)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void positionIsReportedSeparately() {
    assertThatThrownBy(() -> ClientGroupQuery.parse("attributes.floor foo 3"))
        .isInstanceOfSatisfying(QueryException.class, e -> assertThat(e.position()).isEqualTo(18));
  }

  @Test
  void aMissingQueryIsRefused() {
    assertThatThrownBy(() -> ClientGroupQuery.parse(null))
        .isInstanceOf(QueryException.class)
        .hasMessage("query: missing");
  }

  @Test
  void deepNestingIsRefusedBeforeItCanExhaustTheStack() {
    String ok =
        "(".repeat(ClientGroupQuery.MAX_DEPTH)
            + "attributes.floor = 3"
            + ")".repeat(ClientGroupQuery.MAX_DEPTH);
    assertThat(eval(ok)).isTrue();
    String deep =
        "(".repeat(ClientGroupQuery.MAX_DEPTH + 1)
            + "attributes.floor = 3"
            + ")".repeat(ClientGroupQuery.MAX_DEPTH + 1);
    assertThatThrownBy(() -> ClientGroupQuery.parse(deep))
        .isInstanceOf(QueryException.class)
        .hasMessage("query: nested deeper than 32 levels at position 33");
    String hostile = "(".repeat(ClientGroupQuery.MAX_LENGTH);
    assertThatThrownBy(() -> ClientGroupQuery.parse(hostile))
        .isInstanceOf(QueryException.class)
        .hasMessageContaining("nested deeper than");
    String nots = "not ".repeat(1000) + "attributes.floor = 3";
    assertThatThrownBy(() -> ClientGroupQuery.parse(nots, true))
        .isInstanceOf(QueryException.class)
        .hasMessageContaining("nested deeper than");
  }

  @Test
  void longFlatChainsAreFineButTheLengthIsBounded() {
    StringBuilder chain = new StringBuilder("attributes.floor = 0");
    while (chain.length() < ClientGroupQuery.MAX_LENGTH - 60) {
      chain.append(" or attributes.floor = 0");
    }
    assertThat(eval(chain.toString())).isFalse();
    assertThat(eval(chain + " or attributes.floor = 3")).isTrue();
    String tooLong = "attributes.room = '" + "x".repeat(ClientGroupQuery.MAX_LENGTH) + "'";
    assertThatThrownBy(() -> ClientGroupQuery.parse(tooLong))
        .isInstanceOf(QueryException.class)
        .hasMessage("query: longer than 4096 characters");
  }

  @Test
  void aQueryKeepsItsSourceText() {
    assertThat(ClientGroupQuery.parse("attributes.floor = 3").source())
        .isEqualTo("attributes.floor = 3");
  }

  private static ClientIdentity registry(String name, Map<String, Object> attributes) {
    return new ClientIdentity(name, attributes, Authority.REGISTRY, 0);
  }
}
