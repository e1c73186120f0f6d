package io.mqttgrid.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Token claims and webhook attributes as client attributes (Event Grid's custom JWT authentication
 * and webhook authentication): 32-bit integers (as {@code Long}, the model's integer type), strings
 * and arrays of strings are kept; booleans, fractional numbers, integers outside 32 bits, objects,
 * null and arrays holding anything but strings are left out.
 */
final class ClaimAttributes {

  /**
   * Registered claims that say how the token is valid, never who the client is (Event Grid's custom
   * JWT authentication).
   */
  static final Set<String> RESERVED_CLAIMS =
      Set.of("iss", "sub", "aud", "exp", "nbf", "iat", "jti");

  private ClaimAttributes() {}

  static Map<String, Object> of(JsonObject source, Set<String> skip) {
    Map<String, Object> attributes = new LinkedHashMap<>();
    if (source == null) {
      return attributes;
    }
    for (Map.Entry<String, Object> e : source) {
      if (skip.contains(e.getKey())) {
        continue;
      }
      Object value = attributeValue(e.getValue());
      if (value != null) {
        attributes.put(e.getKey(), value);
      }
    }
    return attributes;
  }

  /** The attribute value of one claim value, or null when the claim is not an attribute. */
  static Object attributeValue(Object value) {
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte) {
      long n = ((Number) value).longValue();
      return n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE ? n : null;
    }
    if (value instanceof BigInteger) {
      return null;
    }
    if (value instanceof JsonArray array) {
      List<String> strings = new ArrayList<>(array.size());
      for (Object item : array) {
        if (!(item instanceof String s)) {
          return null;
        }
        strings.add(s);
      }
      return List.copyOf(strings);
    }
    return null;
  }
}
