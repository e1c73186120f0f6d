package io.mqttgrid.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;

/** Real signed JWTs for tests: an RS256 or ES256 key pair made by the JDK and a small JWS signer. */
final class TestTokens {

  final KeyPair keys;
  final String alg;
  final String kid;

  private TestTokens(KeyPair keys, String alg, String kid) {
    this.keys = keys;
    this.alg = alg;
    this.kid = kid;
  }

  /** Tokens signed with an existing key pair (a certificate's, for example). */
  static TestTokens of(KeyPair keys, String alg, String kid) {
    return new TestTokens(keys, alg, kid);
  }

  static TestTokens rs256(String kid) throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    return new TestTokens(gen.generateKeyPair(), "RS256", kid);
  }

  static TestTokens es256(String kid) throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(256);
    return new TestTokens(gen.generateKeyPair(), "ES256", kid);
  }

  /** The public key as PEM {@code PUBLIC KEY}, as an operator uploads it. */
  String publicKeyPem() {
    return Pem.encode("PUBLIC KEY", keys.getPublic().getEncoded());
  }

  /** The public key as a JWKS entry. */
  JsonObject jwk() {
    JsonObject jwk = new JsonObject().put("kid", kid).put("use", "sig").put("alg", alg);
    if (keys.getPublic() instanceof RSAPublicKey rsa) {
      return jwk.put("kty", "RSA").put("n", b64(unsigned(rsa.getModulus(), 0)))
          .put("e", b64(unsigned(rsa.getPublicExponent(), 0)));
    }
    ECPublicKey ec = (ECPublicKey) keys.getPublic();
    return jwk.put("kty", "EC").put("crv", "P-256").put("x", b64(unsigned(ec.getW().getAffineX(), 32)))
        .put("y", b64(unsigned(ec.getW().getAffineY(), 32)));
  }

  static JsonObject jwks(TestTokens... tokens) {
    JsonArray keys = new JsonArray();
    for (TestTokens t : tokens) {
      keys.add(t.jwk());
    }
    return new JsonObject().put("keys", keys);
  }

  /** Standard claims valid from a minute ago for an hour. */
  static JsonObject claims(String iss, String sub, Object aud) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("iss", iss).put("sub", sub).put("aud", aud).put("iat", now - 60)
        .put("nbf", now - 60).put("exp", now + 3600);
  }

  String sign(JsonObject claims) throws Exception {
    JsonObject header = new JsonObject().put("alg", alg).put("typ", "JWT");
    if (kid != null) {
      header.put("kid", kid);
    }
    return sign(header, claims);
  }

  String sign(JsonObject header, JsonObject claims) throws Exception {
    String input = b64(header.encode().getBytes(StandardCharsets.UTF_8)) + "."
        + b64(claims.encode().getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance(alg.equals("RS256") ? "SHA256withRSA" : "SHA256withECDSA");
    s.initSign(keys.getPrivate());
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    byte[] signature = s.sign();
    return input + "." + b64(alg.equals("ES256") ? derToJose(signature) : signature);
  }

  /** A token with {@code alg: none} and an empty or made-up signature. */
  static String unsigned(JsonObject claims, String signature) {
    return b64(new JsonObject().put("alg", "none").put("typ", "JWT").encode().getBytes(StandardCharsets.UTF_8))
        + "." + b64(claims.encode().getBytes(StandardCharsets.UTF_8)) + "." + signature;
  }

  /** An HS256 token whose HMAC key is the issuer's public key: the classic algorithm-confusion attack. */
  static String hmacWithPublicKey(JsonObject claims, String publicKeyPem) throws Exception {
    String input = b64(new JsonObject().put("alg", "HS256").put("typ", "JWT").encode().getBytes(StandardCharsets.UTF_8))
        + "." + b64(claims.encode().getBytes(StandardCharsets.UTF_8));
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(publicKeyPem.getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
    return input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
  }

  static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static byte[] unsigned(BigInteger n, int length) {
    byte[] b = n.toByteArray();
    if (b.length > 1 && b[0] == 0) {
      b = Arrays.copyOfRange(b, 1, b.length);
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
