package io.mqttgrid.load.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwtSignerTest {

  @TempDir
  Path dir;

  private Path pkcs8(KeyPair keys) throws Exception {
    Path file = dir.resolve(keys.getPrivate().getAlgorithm() + ".key");
    Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(keys.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n");
    return file;
  }

  private static String decode(String part) {
    return new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8);
  }

  @Test
  void tokenIsSignedWithTheKeyAndNamesIssuerSubjectAudienceAndLifetime() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair keys = generator.generateKeyPair();
    long before = System.currentTimeMillis() / 1000;
    String token = new JwtSigner(pkcs8(keys), "https://issuer.example", "mqtt.example.com", 600, "key-1")
        .sign("device-\"7\"");

    String[] parts = token.split("\\.");
    assertEquals(3, parts.length);
    assertEquals("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"key-1\"}", decode(parts[0]));
    String claims = decode(parts[1]);
    assertTrue(claims.startsWith("{\"iss\":\"https://issuer.example\",\"sub\":\"device-\\\"7\\\"\","
        + "\"aud\":\"mqtt.example.com\",\"iat\":"), claims);
    long exp = Long.parseLong(claims.replaceFirst(".*\"exp\":(\\d+)}$", "$1"));
    assertTrue(exp >= before + 600 && exp <= before + 602, claims);

    Signature verify = Signature.getInstance("SHA256withRSA");
    verify.initVerify(keys.getPublic());
    verify.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    assertTrue(verify.verify(Base64.getUrlDecoder().decode(parts[2])));
  }

  @Test
  void anEcKeyIsRefusedForRs256() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    Path ecKey = pkcs8(generator.generateKeyPair());
    assertThrows(GeneralSecurityException.class, () -> new JwtSigner(ecKey, "i", "a", 60, null));
  }
}
