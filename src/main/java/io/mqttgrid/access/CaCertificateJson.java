package io.mqttgrid.access;

import static io.mqttgrid.access.ModelJsonFields.description;
import static io.mqttgrid.access.ModelJsonFields.putIfNotNull;
import static io.mqttgrid.access.ModelJsonFields.requiredString;
import static io.mqttgrid.access.NamespaceModelJson.checkName;

import io.mqttgrid.access.NamespaceModelJson.Kind;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/** A CA certificate resource to and from its JSON properties, and PEM certificate parsing. */
final class CaCertificateJson {

  private CaCertificateJson() {}

  public static CaCertificate caCertificate(String name, JsonObject p) {
    checkName(Kind.CA_CERTIFICATES, name);
    String pem = requiredString(p, "encodedCertificate", "properties.encodedCertificate");
    X509Certificate cert = parseCertificate(pem, "properties.encodedCertificate");
    if (cert.getBasicConstraints() < 0
        && !cert.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
      throw new ModelValidationException(
          "properties.encodedCertificate",
          "must be a CA certificate (basic constraints CA:true) or a self-signed root");
    }
    return new CaCertificate(name, description(p), pem.trim());
  }

  public static JsonObject toJson(CaCertificate c) {
    X509Certificate cert = parseCertificate(c.encodedCertificate(), "encodedCertificate");
    JsonObject o =
        new JsonObject()
            .put("encodedCertificate", c.encodedCertificate())
            .put("issueTimeInUtc", cert.getNotBefore().toInstant().toString())
            .put("expiryTimeInUtc", cert.getNotAfter().toInstant().toString())
            // read-only, beyond Event Grid's properties: what an operator checks a CA by
            .put("subject", cert.getSubjectX500Principal().getName())
            .put("thumbprint", thumbprint(cert));
    putIfNotNull(o, "description", c.description());
    return o;
  }

  /**
   * SHA-256 of the DER certificate, upper-case hex: the form client thumbprints take (as
   * io.mqttgrid.auth.ClientCertificates computes them; that one is not visible from here).
   */
  static String thumbprint(X509Certificate cert) {
    try {
      return HexFormat.of()
          .withUpperCase()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot compute a certificate thumbprint", e);
    }
  }

  /** One PEM certificate. */
  static X509Certificate parseCertificate(String pem, String field) {
    try {
      var certs =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(pem.trim().getBytes(StandardCharsets.US_ASCII)));
      if (certs.size() != 1) {
        throw new ModelValidationException(
            field, "must hold exactly one PEM certificate, found " + certs.size());
      }
      return (X509Certificate) certs.iterator().next();
    } catch (CertificateException e) {
      throw new ModelValidationException(field, "not a PEM X.509 certificate");
    }
  }
}
