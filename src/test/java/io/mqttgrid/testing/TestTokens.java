package io.mqttgrid.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real signed JWTs for tests (spec sections 3.5 and 3.6): an RS256 or ES256 key pair made by the
 * JDK and a small JWS signer, the key as PEM or JWK, the malformed tokens an attacker sends (alg
 * none, HS256 keyed with the public key), and a namespace file that makes a broker trust the
 * issuer.
 */
public final class TestTokens {

  public static final String HOSTNAME = "mqtt.test.local";
  public static final String ISSUER = "https://issuer.test.local";
  public static final String KID = "key1";
  private static final AtomicInteger NAMES = new AtomicInteger();

  public final KeyPair keys;
  public final String alg;
  public final String kid;

  /** The {@code iss} of {@link #token(String)}. */
  public final String issuer;

  private TestTokens(KeyPair keys, String alg, String kid, String issuer) {
    this.keys = keys;
    this.alg = alg;
    this.kid = kid;
    this.issuer = issuer;
  }

  /** An RS256 issuer {@link #ISSUER} with key id {@link #KID}. */
  public static TestTokens create() {
    return create(ISSUER, KID);
  }

  public static TestTokens create(String issuer, String kid) {
    return new TestTokens(keyPair("RSA", 2048), "RS256", kid, issuer);
  }

  /** Tokens signed with an existing key pair (a certificate's, for example). */
  public static TestTokens of(KeyPair keys, String alg, String kid) {
    return new TestTokens(keys, alg, kid, ISSUER);
  }

  public static TestTokens rs256(String kid) {
    return new TestTokens(keyPair("RSA", 2048), "RS256", kid, ISSUER);
  }

  public static TestTokens es256(String kid) {
    return new TestTokens(keyPair("EC", 256), "ES256", kid, ISSUER);
  }

  private static KeyPair keyPair(String algorithm, int size) {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance(algorithm);
      gen.initialize(size);
      return gen.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The public key as PEM {@code PUBLIC KEY}, as an operator uploads it
   * (encodedIssuerCertificates).
   */
  public String publicKeyPem() {
    String b64 =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(keys.getPublic().getEncoded());
    return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
  }

  /**
   * Namespace settings that trust this key for custom JWT authentication, as an operator writes
   * them: {@code hostname} and {@code clientAuthentication.customJwtAuthentication} with the key as
   * an encoded issuer certificate.
   */
  public JsonObject customJwtSettings(String hostname, String tokenIssuer) {
    JsonObject certificate =
        new JsonObject().put("kid", kid).put("encodedCertificate", publicKeyPem());
    return new JsonObject()
        .put("hostname", hostname)
        .put(
            "clientAuthentication",
            new JsonObject()
                .put(
                    "customJwtAuthentication",
                    new JsonObject()
                        .put("tokenIssuer", tokenIssuer)
                        .put("encodedIssuerCertificates", new JsonArray().add(certificate))));
  }

  /** The public key as a JWKS entry (RFC 7517). */
  public JsonObject jwk() {
    JsonObject jwk = new JsonObject().put("kid", kid).put("use", "sig").put("alg", alg);
    if (keys.getPublic() instanceof RSAPublicKey rsa) {
      return jwk.put("kty", "RSA")
          .put("n", b64(unsigned(rsa.getModulus(), 0)))
          .put("e", b64(unsigned(rsa.getPublicExponent(), 0)));
    }
    ECPublicKey ec = (ECPublicKey) keys.getPublic();
    return jwk.put("kty", "EC")
        .put("crv", "P-256")
        .put("x", b64(unsigned(ec.getW().getAffineX(), 32)))
        .put("y", b64(unsigned(ec.getW().getAffineY(), 32)));
  }

  public static JsonObject jwks(TestTokens... tokens) {
    JsonArray keys = new JsonArray();
    for (TestTokens t : tokens) {
      keys.add(t.jwk());
    }
    return new JsonObject().put("keys", keys);
  }

  /** Standard claims valid from a minute ago for an hour. */
  public static JsonObject claims(String iss, String sub, Object aud) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject()
        .put("iss", iss)
        .put("sub", sub)
        .put("aud", aud)
        .put("iat", now - 60)
        .put("nbf", now - 60)
        .put("exp", now + 3600);
  }

  /**
   * A token of this issuer for {@code subject}, valid for an hour, for the test namespace's
   * hostname.
   */
  public String token(String subject) {
    long now = System.currentTimeMillis() / 1000;
    return sign(
        Map.of(
            "iss",
            issuer,
            "sub",
            subject,
            "aud",
            HOSTNAME,
            "iat",
            now,
            "nbf",
            now - 5,
            "exp",
            now + 3600));
  }

  /** A token for a subject no other call got: each test identity has its own rate limit bucket. */
  public String freshToken(String prefix) {
    return token(prefix + "-" + NAMES.incrementAndGet());
  }

  public String sign(Map<String, Object> claims) {
    return sign(new JsonObject(Map.copyOf(claims)));
  }

  public String sign(JsonObject claims) {
    JsonObject header = new JsonObject().put("alg", alg).put("typ", "JWT");
    if (kid != null) {
      header.put("kid", kid);
    }
    return sign(header, claims);
  }

  public String sign(JsonObject header, JsonObject claims) {
    String input =
        b64(header.encode().getBytes(StandardCharsets.UTF_8))
            + "."
            + b64(claims.encode().getBytes(StandardCharsets.UTF_8));
    try {
      Signature s =
          Signature.getInstance(alg.equals("RS256") ? "SHA256withRSA" : "SHA256withECDSA");
      s.initSign(keys.getPrivate());
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      byte[] signature = s.sign();
      return input + "." + b64(alg.equals("ES256") ? derToJose(signature) : signature);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A token with {@code alg: none} and an empty or made-up signature. */
  public static String unsigned(JsonObject claims, String signature) {
    return b64(
            new JsonObject()
                .put("alg", "none")
                .put("typ", "JWT")
                .encode()
                .getBytes(StandardCharsets.UTF_8))
        + "."
        + b64(claims.encode().getBytes(StandardCharsets.UTF_8))
        + "."
        + signature;
  }

  /**
   * An HS256 token whose HMAC key is the issuer's public key: the classic algorithm-confusion
   * attack.
   */
  public static String hmacWithPublicKey(JsonObject claims, String publicKeyPem) throws Exception {
    String input =
        b64(
                new JsonObject()
                    .put("alg", "HS256")
                    .put("typ", "JWT")
                    .encode()
                    .getBytes(StandardCharsets.UTF_8))
            + "."
            + b64(claims.encode().getBytes(StandardCharsets.UTF_8));
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(
        new javax.crypto.spec.SecretKeySpec(
            publicKeyPem.getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
    return input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
  }

  public static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /**
   * A namespace file trusting this issuer. Every identity ($all) may publish to {@code devices/#},
   * {@code retained/#}, {@code rate/#} and the how-to's placeholder topic {@code
   * devices%2XXXX-0000/#}, and subscribe to {@code retained/#} only; nothing else.
   */
  public Path writeNamespace(Path dir) throws Exception {
    StringBuilder pem = new StringBuilder();
    for (String line : publicKeyPem().split("\n")) {
      pem.append("              ").append(line).append('\n');
    }
    String yaml =
        """
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
        """
            .formatted(HOSTNAME, issuer, kid, pem.toString().stripTrailing());
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private static byte[] unsigned(BigInteger n, int length) {
    byte[] b = n.toByteArray();
    if (b.length > 1 && b[0] == 0) {
      b = Arrays.copyOfRange(b, 1, b.length); // the sign byte BigInteger adds
    }
    if (length > b.length) {
      byte[] padded = new byte[length];
      System.arraycopy(b, 0, padded, length - b.length, b.length);
      return padded;
    }
    return b;
  }

  /** ECDSA signatures: the JDK writes DER SEQUENCE{r, s}; JWS wants r and s as 32 bytes each. */
  private static byte[] derToJose(byte[] der) {
    int offset = 2;
    if ((der[1] & 0x80) != 0) {
      offset += der[1] & 0x7f;
    }
    int rLength = der[offset + 1];
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(der, offset + 2, offset + 2 + rLength));
    offset += 2 + rLength;
    int sLength = der[offset + 1];
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(der, offset + 2, offset + 2 + sLength));
    byte[] jose = new byte[64];
    System.arraycopy(unsigned(r, 32), 0, jose, 0, 32);
    System.arraycopy(unsigned(s, 32), 0, jose, 32, 32);
    return jose;
  }
}
