package io.mqttgrid.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.TestTokens;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A JWT has one spelling: every segment canonical unpadded base64url (RFC 7515 section 2). */
class JwtShapeTest {

  static TestTokens rs256;
  static TestTokens es256;

  @BeforeAll
  static void keys() throws Exception {
    rs256 = TestTokens.rs256("k1");
    es256 = TestTokens.es256("k2");
  }

  static String[] parts(String token) {
    return token.split("\\.", -1);
  }

  static String join(String... parts) {
    return String.join(".", parts);
  }

  /**
   * The last character with its lowest (unused) bit flipped: decodes, leniently, to the same bytes.
   */
  static String flipLastBit(String segment) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int last = alphabet.indexOf(segment.charAt(segment.length() - 1));
    return segment.substring(0, segment.length() - 1) + alphabet.charAt(last ^ 1);
  }

  @Test
  void tokensAsSignedAreCanonical() throws Exception {
    JsonObject claims = TestTokens.claims("https://issuer", "d", "host");
    assertThat(JwtVerifier.nonCanonicalSegment(rs256.sign(claims))).isNull();
    assertThat(JwtVerifier.nonCanonicalSegment(es256.sign(claims))).isNull();
  }

  @Test
  void paddingIsASecondSpelling() throws Exception {
    // an RS256 signature of 2048 bits is 342 characters, 2 short of a multiple of 4: its padding is
    // "=="
    String[] p = parts(rs256.sign(TestTokens.claims("https://issuer", "d", "host")));
    assertThat(p[2].length() % 4).isEqualTo(2);
    assertThat(Base64.getUrlDecoder().decode(p[2] + "=="))
        .isEqualTo(Base64.getUrlDecoder().decode(p[2]));
    assertThat(JwtVerifier.nonCanonicalSegment(join(p[0], p[1], p[2] + "==")))
        .isEqualTo("signature");
    assertThat(JwtVerifier.nonCanonicalSegment(join(p[0], p[1], p[2] + "=")))
        .isEqualTo("signature");

    String header =
        TestTokens.b64(
            "{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)); // 15 bytes: no padding
    String payload =
        TestTokens.b64("{\"sub\":\"d\"}".getBytes(StandardCharsets.UTF_8)); // 11 bytes: one '='
    assertThat(JwtVerifier.nonCanonicalSegment(join(header, payload + "=", p[2])))
        .isEqualTo("payload");
    assertThat(JwtVerifier.nonCanonicalSegment(join(header + "====", payload, p[2])))
        .isEqualTo("header");
  }

  @Test
  void nonZeroUnusedBitsAreASecondSpelling() throws Exception {
    String[] p = parts(rs256.sign(TestTokens.claims("https://issuer", "d", "host")));
    String twin = flipLastBit(p[2]);
    assertThat(Base64.getUrlDecoder().decode(twin)).isEqualTo(Base64.getUrlDecoder().decode(p[2]));
    assertThat(JwtVerifier.nonCanonicalSegment(join(p[0], p[1], twin))).isEqualTo("signature");
    // ES256: 64 bytes, 86 characters, 2 unused bits in the last one
    String[] e = parts(es256.sign(TestTokens.claims("https://issuer", "d", "host")));
    assertThat(JwtVerifier.nonCanonicalSegment(join(e[0], e[1], flipLastBit(e[2]))))
        .isEqualTo("signature");
  }

  @Test
  void otherAlphabetsWhitespaceAndBrokenLengthsAreRefused() throws Exception {
    String[] p = parts(rs256.sign(TestTokens.claims("https://issuer", "d", "host")));
    String standardAlphabet =
        Base64.getEncoder().withoutPadding().encodeToString(Base64.getUrlDecoder().decode(p[2]));
    if (!standardAlphabet.equals(p[2])) {
      assertThat(JwtVerifier.nonCanonicalSegment(join(p[0], p[1], standardAlphabet)))
          .isEqualTo("signature");
    }
    assertThat(JwtVerifier.nonCanonicalSegment(join(p[0], p[1], p[2] + "AAA")))
        .isEqualTo("signature"); // 4n+1 characters
    assertThat(JwtVerifier.nonCanonicalSegment(join(p[0], " " + p[1], p[2]))).isEqualTo("payload");
    assertThat(JwtVerifier.nonCanonicalSegment(join(p[0], p[1]))).isEqualTo("shape");
  }
}
