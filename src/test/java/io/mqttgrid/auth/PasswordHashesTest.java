package io.mqttgrid.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class PasswordHashesTest {

  @Test
  void hashHasTheDocumentedFormatAndVerifiesOnlyItsPassword() {
    String hash = PasswordHashes.hash("s3cret-päss".toCharArray(), 1000);
    String[] parts = hash.split("\\$");
    assertThat(parts).hasSize(4);
    assertThat(parts[0]).isEqualTo("pbkdf2-sha256");
    assertThat(parts[1]).isEqualTo("1000");
    assertThat(Base64.getDecoder().decode(parts[2])).hasSize(16);
    assertThat(Base64.getDecoder().decode(parts[3])).hasSize(32);
    assertThat(PasswordHashes.verify("s3cret-päss".toCharArray(), hash)).isTrue();
    assertThat(PasswordHashes.verify("s3cret-pass".toCharArray(), hash)).isFalse();
    assertThat(PasswordHashes.verify("".toCharArray(), hash)).isFalse();
  }

  @Test
  void twoHashesOfOnePasswordDifferBySalt() {
    String a = PasswordHashes.hash("pw".toCharArray(), 1000);
    String b = PasswordHashes.hash("pw".toCharArray(), 1000);
    assertThat(a).isNotEqualTo(b);
    assertThat(PasswordHashes.verify("pw".toCharArray(), a)).isTrue();
    assertThat(PasswordHashes.verify("pw".toCharArray(), b)).isTrue();
  }

  @Test
  void aKnownHashVerifies() {
    // the published PBKDF2-HMAC-SHA256 test vector ("password", "salt", 1 iteration):
    // 120fb6cffcf8b32c...
    String known =
        "pbkdf2-sha256$1$"
            + Base64.getEncoder().encodeToString("salt".getBytes())
            + "$"
            + "Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs=";
    assertThat(PasswordHashes.verify("password".toCharArray(), known)).isTrue();
  }

  @Test
  void malformedHashesAreRefused() {
    assertThatThrownBy(() -> PasswordHashes.verify("pw".toCharArray(), "plain"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PasswordHashes.verify("pw".toCharArray(), "bcrypt$10$AAAA$AAAA"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PasswordHashes.verify("pw".toCharArray(), "pbkdf2-sha256$x$AAAA$AAAA"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PasswordHashes.verify("pw".toCharArray(), "pbkdf2-sha256$0$AAAA$AAAA"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> PasswordHashes.verify("pw".toCharArray(), "pbkdf2-sha256$99999999$AAAA$AAAA"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PasswordHashes.verify("pw".toCharArray(), "pbkdf2-sha256$10$!!$AAAA"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PasswordHashes.verify("pw".toCharArray(), null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
