package io.mqttgrid.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClaimAttributesTest {

  @Test
  void int32NumbersStringsAndStringArraysBecomeAttributes() {
    JsonObject claims =
        new JsonObject(
            """
        {"iss":"https://issuer","sub":"device-1","aud":["a","b"],"exp":1900000000,"nbf":1,"iat":1,"jti":"x",
         "room":"345","floor":3,"negative":-2147483648,"max":2147483647,"deviceTypes":["Fan","Light"],"none":[],
         "tooBig":2147483648,"tooSmall":-2147483649,"huge":123456789012345678901234567890,
         "fraction":3.5,"wholeFloat":3.0,"flag":true,"object":{"a":1},"mixed":["a",1],"numbers":[1,2],"nothing":null}
        """);
    Map<String, Object> attributes = ClaimAttributes.of(claims, ClaimAttributes.RESERVED_CLAIMS);
    assertThat(attributes)
        .containsOnly(
            Map.entry("room", "345"),
            Map.entry("floor", 3L),
            Map.entry("negative", -2147483648L),
            Map.entry("max", 2147483647L),
            Map.entry("deviceTypes", List.of("Fan", "Light")),
            Map.entry("none", List.of()));
  }

  @Test
  void reservedClaimsAreSkippedEvenWhenTheyHaveAttributeTypes() {
    JsonObject claims =
        new JsonObject()
            .put("iss", "i")
            .put("sub", "s")
            .put("aud", "a")
            .put("exp", 5)
            .put("nbf", 5)
            .put("iat", 5)
            .put("jti", "j")
            .put("site", "plant1");
    assertThat(ClaimAttributes.of(claims, ClaimAttributes.RESERVED_CLAIMS))
        .containsOnlyKeys("site");
  }

  @Test
  void webhookAttributesKeepTheSameTypes() {
    JsonObject attributes =
        new JsonObject()
            .put("site", "plant1")
            .put("floor", 3)
            .put("roles", List.of("a", "b"))
            .put("active", true)
            .put("ratio", 0.5);
    assertThat(ClaimAttributes.of(attributes, java.util.Set.of()))
        .containsOnly(
            Map.entry("site", "plant1"),
            Map.entry("floor", 3L),
            Map.entry("roles", List.of("a", "b")));
  }
}
