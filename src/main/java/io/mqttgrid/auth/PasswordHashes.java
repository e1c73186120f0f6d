package io.mqttgrid.auth;

import io.mqttgrid.SuppressForbidden;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Password hashes for registry clients (an extension: {@code passwordHash} of a client resource,
 * used when the namespace enables password authentication). Format: {@code
 * pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>}, PBKDF2 with HMAC-SHA256, standard Base64.
 * Verifying is deliberately slow: call it off the event loop.
 *
 * <p>Operators make hashes with {@code java -cp mqttgrid.jar io.mqttgrid.auth.PasswordHashes
 * [iterations]}, which reads the password from the console (not echoed) or one line of standard
 * input, and prints the hash.
 */
public final class PasswordHashes {

  public static final String SCHEME = "pbkdf2-sha256";

  /** OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
  public static final int DEFAULT_ITERATIONS = 600_000;

  /** A hash asking for more work than this is refused rather than tying up a worker thread. */
  static final int MAX_ITERATIONS = 10_000_000;

  private static final int SALT_BYTES = 16;
  private static final int HASH_BITS = 256;
  private static final SecureRandom RANDOM = new SecureRandom();

  private PasswordHashes() {}

  public static String hash(char[] password) {
    return hash(password, DEFAULT_ITERATIONS);
  }

  public static String hash(char[] password, int iterations) {
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException("iterations must be 1.." + MAX_ITERATIONS);
    }
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    Base64.Encoder b64 = Base64.getEncoder();
    return SCHEME
        + "$"
        + iterations
        + "$"
        + b64.encodeToString(salt)
        + "$"
        + b64.encodeToString(pbkdf2(password, salt, iterations, HASH_BITS));
  }

  /**
   * Whether the password matches the hash (constant-time comparison).
   *
   * @throws IllegalArgumentException when the hash is not in this class's format
   */
  public static boolean verify(char[] password, String encoded) {
    String[] parts = encoded == null ? new String[0] : encoded.split("\\$", -1);
    if (parts.length != 4 || !parts[0].equals(SCHEME)) {
      throw new IllegalArgumentException(
          "not a " + SCHEME + "$<iterations>$<salt>$<hash> password hash");
    }
    int iterations;
    byte[] salt;
    byte[] expected;
    try {
      iterations = Integer.parseInt(parts[1]);
      salt = Base64.getDecoder().decode(parts[2]);
      expected = Base64.getDecoder().decode(parts[3]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "password hash has a malformed iteration count, salt or hash");
    }
    if (iterations < 1 || iterations > MAX_ITERATIONS || salt.length == 0 || expected.length == 0) {
      throw new IllegalArgumentException(
          "password hash has an out-of-range iteration count, salt or hash");
    }
    return MessageDigest.isEqual(expected, pbkdf2(password, salt, iterations, expected.length * 8));
  }

  private static byte[] pbkdf2(char[] password, byte[] salt, int iterations, int bits) {
    PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, bits);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
    } finally {
      spec.clearPassword();
    }
  }

  /** Prints the hash of a password read from the console or standard input. */
  @SuppressForbidden(reason = "a command-line tool: its output is the hash, on standard output")
  public static void main(String[] args) throws IOException {
    int iterations = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_ITERATIONS;
    Console console = System.console();
    char[] password;
    if (console != null) {
      password = console.readPassword("password: ");
    } else {
      String line =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      password = line == null ? new char[0] : line.toCharArray();
    }
    if (password == null || password.length == 0) {
      System.err.println("no password given");
      System.exit(2);
    }
    System.out.println(hash(password, iterations));
    Arrays.fill(password, '\0');
  }
}
