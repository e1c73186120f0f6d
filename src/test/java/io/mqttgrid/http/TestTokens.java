package io.mqttgrid.http;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A CUSTOM-JWT issuer for tests (spec section 3.6): an RSA key pair made here, RS256 tokens signed with it, and
 * the namespace file that makes a broker trust it (its public key as the issuer certificate, the namespace
 * hostname as audience) with topic spaces the HTTP tests use.
 */
final class TestTokens {

  static final String HOSTNAME = "mqtt.test.local";
  static final String ISSUER = "https://issuer.test.local";
  static final String KID = "key1";
  private static final AtomicInteger NAMES = new AtomicInteger();

  private final KeyPair keys;
  private final String issuer;
  private final String kid;

  private TestTokens(KeyPair keys, String issuer, String kid) {
    this.keys = keys;
    this.issuer = issuer;
    this.kid = kid;
  }

  static TestTokens create() {
    return create(ISSUER, KID);
  }

  static TestTokens create(String issuer, String kid) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return new TestTokens(g.generateKeyPair(), issuer, kid);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The public key as PEM ({@code BEGIN PUBLIC KEY}), what encodedIssuerCertificates accepts. */
  String publicKeyPem() {
    String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(keys.getPublic().getEncoded());
    return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
  }

  /** A token for {@code subject}, valid for an hour, for the test namespace's hostname. */
  String token(String subject) {
    long now = System.currentTimeMillis() / 1000;
    return sign(Map.of("iss", issuer, "sub", subject, "aud", HOSTNAME, "iat", now, "nbf", now - 5, "exp",
        now + 3600));
  }

  /** A token for a subject no other call got: each test identity has its own rate limit bucket. */
  String freshToken(String prefix) {
    return token(prefix + "-" + NAMES.incrementAndGet());
  }

  String sign(Map<String, Object> claims) {
    JsonObject header = new JsonObject().put("alg", "RS256").put("typ", "JWT").put("kid", kid);
    String signingInput = b64(header.encode()) + "." + b64(new JsonObject(Map.copyOf(claims)).encode());
    try {
      Signature s = Signature.getInstance("SHA256withRSA");
      s.initSign(keys.getPrivate());
      s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The public key as a JWK (RFC 7517), for an issuer that publishes its keys as a JWKS document. */
  JsonObject jwk() {
    java.security.interfaces.RSAPublicKey rsa = (java.security.interfaces.RSAPublicKey) keys.getPublic();
    return new JsonObject().put("kty", "RSA").put("kid", kid).put("use", "sig").put("alg", "RS256")
        .put("n", unsigned(rsa.getModulus())).put("e", unsigned(rsa.getPublicExponent()));
  }

  private static String unsigned(java.math.BigInteger value) {
    byte[] bytes = value.toByteArray();
    int skip = bytes.length > 1 && bytes[0] == 0 ? 1 : 0; // the sign byte BigInteger adds
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString(java.util.Arrays.copyOfRange(bytes, skip, bytes.length));
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A namespace file trusting this issuer. Every identity ($all) may publish to {@code devices/#},
   * {@code retained/#}, {@code rate/#} and the how-to's placeholder topic {@code devices%2XXXX-0000/#}, and
   * subscribe to {@code retained/#} only; nothing else.
   */
  Path writeNamespace(Path dir) throws Exception {
    StringBuilder pem = new StringBuilder();
    for (String line : publicKeyPem().split("\n")) {
      pem.append("              ").append(line).append('\n');
    }
    String yaml = """
        settings:
          hostname: %s
          clientAuthentication:
            customJwtAuthentication:
              tokenIssuer: %s
              encodedIssuerCertificates:
                - kid: %s
                  encodedCertificate: |
        %s
        topicSpaces:
          http-publish: { topicTemplates: ["devices/#", "retained/#", "rate/#", "devices%%2XXXX-0000/#"] }
          http-read: { topicTemplates: ["retained/#"] }
        permissionBindings:
          all-publish: { clientGroupName: $all, topicSpaceName: http-publish, permission: Publisher }
          all-read: { clientGroupName: $all, topicSpaceName: http-read, permission: Subscriber }
        """.formatted(HOSTNAME, issuer, kid, pem.toString().stripTrailing());
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(file, yaml);
    return file;
  }
}
