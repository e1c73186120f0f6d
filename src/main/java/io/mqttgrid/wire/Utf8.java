package io.mqttgrid.wire;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 (RFC 3629), as MQTT requires it of strings and of a payload whose Payload Format
 * Indicator is 1 (MQTT-1.5.4-1, MQTT-3.3.2-4), and as the HTTP API reads percent-decoded text.
 * {@code new String(bytes, UTF_8)} would not do: it replaces ill-formed input with U+FFFD instead
 * of refusing it.
 */
public final class Utf8 {

  private Utf8() {}

  /** The text {@code bytes} encode, or null when they are not well-formed UTF-8. */
  public static String decodeOrNull(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** Whether {@code bytes} are well-formed UTF-8; null (nothing there) is. */
  public static boolean isWellFormed(byte[] bytes) {
    return bytes == null || decodeOrNull(bytes) != null;
  }

  /** Bytes of {@code text} in UTF-8. */
  public static int length(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }
}
