package io.mqttgrid.auth;

import java.io.ByteArrayInputStream;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM text as operators paste it into the namespace model: block scalars, one-line strings, several
 * blocks in one value. Only the blocks matter; line breaks and surrounding text do not.
 */
final class Pem {

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

  private Pem() {}

  /** One PEM block: its label ({@code CERTIFICATE}, {@code PUBLIC KEY}) and DER content. */
  record Block(String label, byte[] der) {}

  static List<Block> blocks(String text) {
    List<Block> blocks = new ArrayList<>();
    if (text == null) {
      return blocks;
    }
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String base64 = m.group(2).replaceAll("\\s+", "").replace("\\n", "");
      blocks.add(new Block(m.group(1), Base64.getMimeDecoder().decode(base64)));
    }
    return blocks;
  }

  /** Every certificate in the text; throws when there is none or one does not parse. */
  static List<X509Certificate> certificates(String text) throws CertificateException {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    List<X509Certificate> certificates = new ArrayList<>();
    for (Block b : blocks(text)) {
      if (b.label().equals("CERTIFICATE")) {
        certificates.add(
            (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der())));
      }
    }
    if (certificates.isEmpty()) {
      throw new CertificateException("no PEM CERTIFICATE block");
    }
    return certificates;
  }

  /** The public key of the first {@code CERTIFICATE} or {@code PUBLIC KEY} block. */
  static PublicKey publicKey(String text) throws CertificateException {
    for (Block b : blocks(text)) {
      if (b.label().equals("CERTIFICATE")) {
        return certificates(text).get(0).getPublicKey();
      }
      if (b.label().equals("PUBLIC KEY")) {
        for (String algorithm : new String[] {"RSA", "EC"}) {
          try {
            return KeyFactory.getInstance(algorithm)
                .generatePublic(new X509EncodedKeySpec(b.der()));
          } catch (java.security.GeneralSecurityException notThisAlgorithm) {
            // try the next key type
          }
        }
        throw new CertificateException("PUBLIC KEY block is neither an RSA nor an EC key");
      }
    }
    throw new CertificateException("no PEM CERTIFICATE or PUBLIC KEY block");
  }

  static String encode(String label, byte[] der) {
    return "-----BEGIN "
        + label
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + label
        + "-----\n";
  }
}
