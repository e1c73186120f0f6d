package io.mqttgrid.http;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Where a retained-message listing goes on (Event Grid's retained-message API): the filter, the
 * last topic already listed and the page size, as base64url JSON. It holds no server state, so the
 * next page can be asked of any node; the filter is authorized again on every page, so editing a
 * token grants nothing.
 */
record ContinuationToken(String filter, String after, int maxResults) {

  private static final int VERSION = 1;

  String encode() {
    String json =
        new JsonObject()
            .put("v", VERSION)
            .put("f", filter)
            .put("a", after)
            .put("n", maxResults)
            .encode();
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  static ContinuationToken decode(String token) {
    try {
      JsonObject json =
          new JsonObject(new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8));
      if (json.getInteger("v", 0) == VERSION
          && json.getValue("f") instanceof String filter
          && json.getValue("a") instanceof String after
          && json.getValue("n") instanceof Integer n
          && n >= 1
          && n <= RetainedMessagesApi.MAX_RESULTS) {
        // the page size as maxResults allows it: an edited token must not list everything in one
        // page
        return new ContinuationToken(filter, after, n);
      }
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      // falls through to the refusal
    }
    throw ApiException.badRequest(
        "InvalidContinuationToken", "continuationToken is not one this API handed out");
  }
}
