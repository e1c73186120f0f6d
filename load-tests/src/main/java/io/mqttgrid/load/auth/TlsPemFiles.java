package io.mqttgrid.load.auth;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttClientSslConfigBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for load clients from PEM files as openssl writes them: the certificate (chain) the server must present
 * or a CA that issued it, and a client certificate (chain) with its PKCS#8 private key ({@code openssl genpkey}
 * or {@code openssl pkcs8 -topk8 -nocrypt}). Files are read once per path and the key stores kept, because a
 * connect storm builds a client per virtual user; each client still makes its own SSL context, so every
 * connection is a full handshake as it would be for separate devices.
 */
public final class TlsPemFiles {

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
  private static final char[] NO_PASSWORD = new char[0];

  private static final Map<Path, TrustManagerFactory> TRUST = new ConcurrentHashMap<>();
  private static final Map<List<Path>, KeyManagerFactory> KEYS = new ConcurrentHashMap<>();

  private TlsPemFiles() {}

  /**
   * The client TLS settings: trust {@code trustFile}'s certificates (null: the JDK's default trust store), and
   * present {@code certificateFile} with {@code keyFile} when both are given.
   */
  public static MqttClientSslConfig sslConfig(String trustFile, String certificateFile, String keyFile) {
    MqttClientSslConfigBuilder builder = MqttClientSslConfig.builder();
    if (trustFile != null) {
      builder = builder.trustManagerFactory(trustManagers(Path.of(trustFile)));
    }
    if (certificateFile != null && keyFile != null) {
      builder = builder.keyManagerFactory(keyManagers(Path.of(certificateFile), Path.of(keyFile)));
    } else if (certificateFile != null || keyFile != null) {
      throw new IllegalArgumentException("a client certificate needs both its certificate and its key file");
    }
    return builder.build();
  }

  public static TrustManagerFactory trustManagers(Path certificateFile) {
    return TRUST.computeIfAbsent(certificateFile.toAbsolutePath(), file -> {
      try {
        KeyStore store = emptyStore();
        int i = 0;
        for (Certificate certificate : certificates(file)) {
          store.setCertificateEntry("trusted-" + i++, certificate);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory;
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("cannot trust " + file + ": " + e.getMessage(), e);
      }
    });
  }

  public static KeyManagerFactory keyManagers(Path certificateFile, Path keyFile) {
    return KEYS.computeIfAbsent(List.of(certificateFile.toAbsolutePath(), keyFile.toAbsolutePath()), files -> {
      try {
        KeyStore store = emptyStore();
        store.setKeyEntry("client", privateKey(files.get(1)), NO_PASSWORD,
            certificates(files.get(0)).toArray(Certificate[]::new));
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(store, NO_PASSWORD);
        return factory;
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("cannot use " + files + " as a client certificate: " + e.getMessage(), e);
      }
    });
  }

  /** A PKCS#8 {@code PRIVATE KEY} block holding an RSA or EC key. */
  public static PrivateKey privateKey(Path file) throws GeneralSecurityException {
    for (Block block : blocks(file)) {
      if (block.label().equals("PRIVATE KEY")) {
        for (String algorithm : new String[] {"RSA", "EC"}) {
          try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(block.der()));
          } catch (GeneralSecurityException notThisAlgorithm) {
            // try the next key type
          }
        }
        throw new GeneralSecurityException(file + ": PRIVATE KEY is neither an RSA nor an EC key");
      }
    }
    throw new GeneralSecurityException(file + " has no PKCS#8 'PRIVATE KEY' block (convert it with "
        + "openssl pkcs8 -topk8 -nocrypt)");
  }

  private static List<Certificate> certificates(Path file) throws GeneralSecurityException {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    List<Certificate> certificates = new ArrayList<>();
    for (Block block : blocks(file)) {
      if (block.label().equals("CERTIFICATE")) {
        certificates.add(factory.generateCertificate(new ByteArrayInputStream(block.der())));
      }
    }
    if (certificates.isEmpty()) {
      throw new GeneralSecurityException(file + " has no PEM CERTIFICATE block");
    }
    return certificates;
  }

  private record Block(String label, byte[] der) {}

  private static List<Block> blocks(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    List<Block> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      blocks.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2).replaceAll("\\s+", ""))));
    }
    return blocks;
  }

  private static KeyStore emptyStore() throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try {
      store.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
    return store;
  }
}
