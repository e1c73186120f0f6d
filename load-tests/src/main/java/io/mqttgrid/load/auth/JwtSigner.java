package io.mqttgrid.load.auth;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAPrivateKey;
import java.util.Base64;

/**
 * RS256 tokens for load clients, signed here with the issuer's private key (a PKCS#8 PEM file, e.g.
 * {@code openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048}) so that every virtual user can have a
 * token of its own: {@code iss}, {@code sub}, {@code aud}, {@code iat}, {@code nbf} (a minute back, for clock
 * skew) and {@code exp}. From a shell, one token per line:
 *
 * <pre>java -cp load-tests/target/classes io.mqttgrid.load.auth.JwtSigner KEY ISSUER AUDIENCE SUBJECT [TTL_SECONDS] [KID]</pre>
 */
public final class JwtSigner {

  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

  private final PrivateKey key;
  private final String issuer;
  private final String audience;
  private final long ttlSeconds;
  private final String encodedHeader;

  /** {@code kid} may be null: the issuer then has to try its keys. */
  public JwtSigner(Path privateKeyFile, String issuer, String audience, long ttlSeconds, String kid)
      throws GeneralSecurityException {
    this.key = TlsPemFiles.privateKey(privateKeyFile);
    if (!(key instanceof RSAPrivateKey)) {
      throw new GeneralSecurityException(privateKeyFile + " is not an RSA key; RS256 needs one");
    }
    this.issuer = issuer;
    this.audience = audience;
    this.ttlSeconds = ttlSeconds;
    this.encodedHeader = base64url("{\"alg\":\"RS256\",\"typ\":\"JWT\"" + (kid == null ? "" : ",\"kid\":" + json(kid))
        + "}");
  }

  /** A token naming {@code subject} (the client's authentication name), valid from now for the TTL. */
  public String sign(String subject) {
    long now = System.currentTimeMillis() / 1000;
    String claims = "{\"iss\":" + json(issuer) + ",\"sub\":" + json(subject) + ",\"aud\":" + json(audience)
        + ",\"iat\":" + now + ",\"nbf\":" + (now - 60) + ",\"exp\":" + (now + ttlSeconds) + "}";
    String input = encodedHeader + "." + base64url(claims);
    try {
      Signature signature = Signature.getInstance("SHA256withRSA");
      signature.initSign(key);
      signature.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + BASE64URL.encodeToString(signature.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with the RS256 key", e);
    }
  }

  private static String base64url(String json) {
    return BASE64URL.encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  /** A JSON string; claims here are names and URLs, so only quotes, backslashes and controls need escaping. */
  static String json(String value) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: JwtSigner KEY_FILE ISSUER AUDIENCE SUBJECT [TTL_SECONDS] [KID]");
      System.exit(2);
    }
    long ttl = args.length > 4 ? Long.parseLong(args[4]) : 3600;
    String kid = args.length > 5 ? args[5] : null;
    System.out.println(new JwtSigner(Path.of(args[0]), args[1], args[2], ttl, kid).sign(args[3]));
  }
}
