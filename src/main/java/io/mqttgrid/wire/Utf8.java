package io.mqttgrid.wire;

import java.nio.charset.StandardCharsets;

/** UTF-8 as MQTT strings carry it (MQTT 5 section 1.5.4). */
public final class Utf8 {

  private Utf8() {
  }

  /** Bytes of {@code text} in UTF-8. */
  public static int length(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }
}
