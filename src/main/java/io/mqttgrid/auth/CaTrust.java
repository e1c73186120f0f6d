package io.mqttgrid.auth;

import io.mqttgrid.access.CaCertificate;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertStore;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The namespace's CA certificates (Event Grid's CA certificate resource), parsed once per model
 * version, and the chain check of Event Grid's CA-chain authentication: a path from the client's
 * leaf certificate, through the intermediates it presented, to one of them. An uploaded
 * intermediate is a trust anchor of its own, so the root need not be uploaded.
 *
 * <p>The check runs on the event loop: measured on a 2-core machine, a freshly parsed EC P-256 leaf
 * and intermediate to a root cost about 85 us per check (RSA-2048 less), a tenth of the TLS
 * handshake that delivered them; a worker hop would cost about as much as the check.
 */
final class CaTrust {

  private static final Logger LOG = LoggerFactory.getLogger(CaTrust.class);

  /** Extended key usages that allow TLS client authentication. */
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  private static final String ANY_USAGE = "2.5.29.37.0";

  static final CaTrust NONE = new CaTrust(List.of());

  private final List<X509Certificate> anchors;

  private CaTrust(List<X509Certificate> anchors) {
    this.anchors = List.copyOf(anchors);
  }

  /** Parses the model's CA certificates; one that does not parse is left out with a warning. */
  static CaTrust of(Collection<CaCertificate> caCertificates) {
    List<X509Certificate> anchors = new ArrayList<>();
    for (CaCertificate ca : caCertificates) {
      try {
        anchors.addAll(Pem.certificates(ca.encodedCertificate()));
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        LOG.warn(
            "CA certificate {} is not a usable PEM certificate and is ignored: {}",
            ca.name(),
            e.getMessage());
      }
    }
    return new CaTrust(anchors);
  }

  int size() {
    return anchors.size();
  }

  /**
   * Checks signatures, validity periods at {@code now}, basic constraints and key usage of the path
   * (PKIX, revocation not checked: the model has no CRLs), the validity of the anchor itself, and
   * that the leaf may authenticate TLS clients.
   *
   * @param chain the TLS client certificate chain, leaf first
   * @return null when a valid path exists, else why not (for the operator's log)
   */
  String validate(List<X509Certificate> chain, Date now) {
    X509Certificate leaf = chain.get(0);
    try {
      List<String> usages = leaf.getExtendedKeyUsage();
      if (usages != null && !usages.contains(CLIENT_AUTH) && !usages.contains(ANY_USAGE)) {
        return "the client certificate is not for TLS client authentication (extended key usage)";
      }
    } catch (java.security.cert.CertificateParsingException e) {
      return "the client certificate's extended key usage does not parse";
    }
    Set<TrustAnchor> trusted = new HashSet<>();
    for (X509Certificate anchor : anchors) {
      // PKIX takes an anchor's validity on trust; an expired CA certificate should not vouch for
      // anyone
      if (!now.before(anchor.getNotBefore()) && !now.after(anchor.getNotAfter())) {
        trusted.add(new TrustAnchor(anchor, null));
      }
    }
    if (trusted.isEmpty()) {
      return "no valid CA certificate is configured";
    }
    try {
      X509CertSelector target = new X509CertSelector();
      target.setCertificate(leaf);
      PKIXBuilderParameters params = new PKIXBuilderParameters(trusted, target);
      params.setRevocationEnabled(false);
      params.setDate(now);
      params.addCertStore(
          CertStore.getInstance("Collection", new CollectionCertStoreParameters(chain)));
      CertPathBuilder.getInstance("PKIX").build(params);
      return null;
    } catch (CertPathBuilderException e) {
      return "no valid path to a configured CA certificate";
    } catch (GeneralSecurityException e) {
      return "the certificate path cannot be checked: " + e.getMessage();
    }
  }
}
