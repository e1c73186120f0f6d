package io.mqttgrid.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8Test {

  @Test
  void wellFormedTextDecodes() {
    byte[] text = "café/ключ/€/😀".getBytes(StandardCharsets.UTF_8);
    assertThat(Utf8.decodeOrNull(text)).isEqualTo("café/ключ/€/😀");
    assertThat(Utf8.isWellFormed(text)).isTrue();
    assertThat(Utf8.isWellFormed(new byte[0])).isTrue();
    assertThat(Utf8.isWellFormed(null)).isTrue();
    assertThat(Utf8.length("café")).isEqualTo(5);
  }

  @Test
  void illFormedInputIsRefusedNotReplaced() {
    byte[][] illFormed = {
      {(byte) 0xC3}, // truncated sequence
      {(byte) 0xC0, (byte) 0xAF}, // overlong '/'
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a UTF-16 surrogate (U+D800), not allowed in UTF-8
      {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
      {(byte) 0xFF},
    };
    for (byte[] bytes : illFormed) {
      assertThat(Utf8.decodeOrNull(bytes)).isNull();
      assertThat(Utf8.isWellFormed(bytes)).isFalse();
    }
  }
}
