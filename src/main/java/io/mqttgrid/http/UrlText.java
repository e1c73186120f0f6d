package io.mqttgrid.http;

import io.mqttgrid.wire.Utf8;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Text from URLs and headers as the HTTP API reads it: percent-decoding (RFC 3986) into UTF-8.
 *
 * <p>An escape that is not {@code %} followed by two hex digits is kept as it is, the way .NET's
 * {@code Uri.UnescapeDataString} treats it; the Event Grid how-to's sample topic {@code
 * devices%2XXXX-0000%2Fprompt} is such a string. In query strings {@code +} means a space (HTML
 * form encoding, as every web framework reads queries), so a literal {@code +} is sent as {@code
 * %2B}; in headers {@code +} is itself.
 */
final class UrlText {

  private UrlText() {}

  /**
   * The bytes {@code text} stands for; its characters must be ISO-8859-1 (what HTTP/1.1 parsers
   * hand out).
   */
  static byte[] percentDecode(String text, boolean plusIsSpace) {
    byte[] in = text.getBytes(StandardCharsets.ISO_8859_1);
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
    for (int i = 0; i < in.length; i++) {
      byte b = in[i];
      if (b == '%' && i + 2 < in.length && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
        out.write(hex(in[i + 1]) << 4 | hex(in[i + 2]));
        i += 2;
      } else if (b == '+' && plusIsSpace) {
        out.write(' ');
      } else {
        out.write(b);
      }
    }
    return out.toByteArray();
  }

  /**
   * A header value as the text the client meant: HTTP/1.1 parsers hand header bytes out as
   * ISO-8859-1 characters, and clients send non-ASCII header text as UTF-8. Null when that is not
   * valid UTF-8.
   */
  static String headerText(String value) {
    return Utf8.decodeOrNull(value.getBytes(StandardCharsets.ISO_8859_1));
  }

  /**
   * The parameters of a raw query string ({@code a=1&b=%2F}), names and values percent-decoded; the
   * first of several parameters with one name counts. Values stay bytes until {@link #parameter}
   * decodes them.
   */
  static Map<String, byte[]> queryParameters(String rawQuery) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return out;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String rawName = eq < 0 ? pair : pair.substring(0, eq);
      String rawValue = eq < 0 ? "" : pair.substring(eq + 1);
      String name = Utf8.decodeOrNull(percentDecode(rawName, true));
      if (name != null) {
        out.putIfAbsent(name, percentDecode(rawValue, true));
      }
    }
    return out;
  }

  /**
   * A query parameter as text, null when absent; a value that is not UTF-8 is refused with {@code
   * errorCode}.
   */
  static String parameter(Map<String, byte[]> query, String name, String errorCode) {
    byte[] raw = query.get(name);
    if (raw == null) {
      return null;
    }
    String text = Utf8.decodeOrNull(raw);
    if (text == null) {
      throw ApiException.badRequest(
          errorCode, "query parameter '" + name + "' is not valid UTF-8 once percent-decoded");
    }
    return text;
  }

  /**
   * {@code text} fit for a header value: printable ASCII stays as it is, '%' and everything else is
   * percent-encoded as UTF-8 ({@code café/1} gives {@code caf%C3%A9/1}).
   */
  static String headerSafe(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xFF;
      if (c > 0x20 && c < 0x7F && c != '%') {
        out.append((char) c);
      } else {
        out.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      }
    }
    return out.toString();
  }

  private static int hex(byte b) {
    if (b >= '0' && b <= '9') {
      return b - '0';
    }
    if (b >= 'a' && b <= 'f') {
      return b - 'a' + 10;
    }
    if (b >= 'A' && b <= 'F') {
      return b - 'A' + 10;
    }
    return -1;
  }
}
