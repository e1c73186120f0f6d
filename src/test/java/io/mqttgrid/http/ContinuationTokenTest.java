package io.mqttgrid.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ContinuationTokenTest {

  @Test
  void aTokenRoundTripsAndIsUrlSafe() {
    ContinuationToken token =
        new ContinuationToken("factory/+/state/#", "factory/é/state/ü?&=", 25);
    String encoded = token.encode();
    assertThat(encoded).matches("[A-Za-z0-9_-]+");
    assertThat(ContinuationToken.decode(encoded)).isEqualTo(token);
  }

  @Test
  void aTokenThisApiDidNotHandOutIsRefused() {
    for (String bad :
        new String[] {
          "",
          "!!!",
          "bm90IGpzb24",
          b64("{\"v\":2,\"f\":\"a\",\"a\":\"b\",\"n\":1}"),
          b64("{\"v\":1,\"f\":\"a\",\"n\":1}"),
          b64("[1,2]"),
          b64("{\"v\":1,\"f\":1,\"a\":\"b\",\"n\":1}")
        }) {
      assertThatThrownBy(() -> ContinuationToken.decode(bad))
          .as(bad)
          .isInstanceOfSatisfying(
              ApiException.class,
              e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.code()).isEqualTo("InvalidContinuationToken");
              });
    }
  }

  @Test
  void aPageSizeOutsideWhatMaxResultsAllowsIsRefused() {
    for (int n :
        new int[] {
          0, -1, RetainedMessagesApi.MAX_RESULTS + 1, Integer.MAX_VALUE, Integer.MIN_VALUE
        }) {
      String edited = b64("{\"v\":1,\"f\":\"a/#\",\"a\":\"a/b\",\"n\":" + n + "}");
      assertThatThrownBy(() -> ContinuationToken.decode(edited))
          .as("n=%d", n)
          .isInstanceOfSatisfying(
              ApiException.class,
              e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.code()).isEqualTo("InvalidContinuationToken");
              });
    }
    for (int n : new int[] {1, RetainedMessagesApi.MAX_RESULTS}) {
      assertThat(
              ContinuationToken.decode(new ContinuationToken("a/#", "a/b", n).encode())
                  .maxResults())
          .isEqualTo(n);
    }
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }
}
