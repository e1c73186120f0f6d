package io.mqttgrid.auth;

import io.mqttgrid.access.ClientResource;
import io.mqttgrid.access.ClientResource.ValidationScheme;
import io.mqttgrid.access.NamespaceSettings.AlternativeNameSource;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * What a client certificate says about its holder (Event Grid's certificate authentication and
 * alternative authentication names): its SHA-256 thumbprint, and the subject and
 * subject-alternative-name fields the {@code *MatchesAuthenticationName} schemes compare with the
 * authentication name. Pure functions: no trust decisions here.
 */
final class ClientCertificates {

  /**
   * GeneralName tags (RFC 5280 section 4.2.1.6) as {@link
   * X509Certificate#getSubjectAlternativeNames} gives them.
   */
  static final int SAN_EMAIL = 1;

  static final int SAN_DNS = 2;
  static final int SAN_URI = 6;
  static final int SAN_IP = 7;

  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  private ClientCertificates() {}

  /** SHA-256 of the DER certificate, upper-case hex (the form of the quickstart's thumbprints). */
  static String thumbprint(X509Certificate certificate) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
      return HexFormat.of().withUpperCase().formatHex(digest);
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot compute a certificate thumbprint", e);
    }
  }

  static boolean thumbprintAllowed(
      X509Certificate certificate, Collection<String> allowedThumbprints) {
    byte[] actual = thumbprint(certificate).getBytes(StandardCharsets.US_ASCII);
    boolean match = false;
    for (String allowed : allowedThumbprints) {
      // constant-time per comparison; the list has at most two entries
      byte[] expected =
          ClientResource.normalizeThumbprint(allowed).getBytes(StandardCharsets.US_ASCII);
      match |= MessageDigest.isEqual(actual, expected);
    }
    return match;
  }

  /**
   * Whether the certificate field the scheme names equals the authentication name
   * (case-insensitively).
   */
  static boolean nameMatches(
      ValidationScheme scheme, X509Certificate certificate, String authenticationName) {
    return switch (scheme) {
      case SubjectMatchesAuthenticationName -> subjectMatches(certificate, authenticationName);
      case DnsMatchesAuthenticationName ->
          anyEqualIgnoreCase(sans(certificate, SAN_DNS), authenticationName);
      case UriMatchesAuthenticationName ->
          anyEqualIgnoreCase(sans(certificate, SAN_URI), authenticationName);
      case EmailMatchesAuthenticationName ->
          anyEqualIgnoreCase(sans(certificate, SAN_EMAIL), authenticationName);
      case IpMatchesAuthenticationName -> ipMatches(sans(certificate, SAN_IP), authenticationName);
      case ThumbprintMatch -> false;
    };
  }

  /**
   * The subject matches when the authentication name is the whole distinguished name (RFC 4514,
   * compared in canonical form, so spacing and case do not matter) or the value of its most
   * specific CN: the bridge tutorial registers client {@code mqttbridge} for a certificate with
   * subject {@code CN=mqttbridge}.
   */
  static boolean subjectMatches(X509Certificate certificate, String authenticationName) {
    X500Principal subject = certificate.getSubjectX500Principal();
    String cn = commonName(subject);
    if (cn != null && cn.equalsIgnoreCase(authenticationName)) {
      return true;
    }
    if (subject.getName(X500Principal.RFC2253).equalsIgnoreCase(authenticationName)) {
      return true;
    }
    try {
      return new X500Principal(authenticationName)
          .getName(X500Principal.CANONICAL)
          .equals(subject.getName(X500Principal.CANONICAL));
    } catch (IllegalArgumentException notADistinguishedName) {
      return false;
    }
  }

  /**
   * Authentication names a certificate field offers when CONNECT has no Username (Event Grid's
   * alternative authentication names), most preferred first. The subject offers its RFC 4514 form
   * and then its CN value (whichever names a registered client wins); a SAN type offers its first
   * entry only, so the choice is deterministic.
   */
  static List<String> alternativeNames(AlternativeNameSource source, X509Certificate certificate) {
    List<String> names = new ArrayList<>();
    switch (source) {
      case ClientCertificateSubject -> {
        X500Principal subject = certificate.getSubjectX500Principal();
        String dn = subject.getName(X500Principal.RFC2253);
        if (!dn.isEmpty()) {
          names.add(dn);
        }
        String cn = commonName(subject);
        if (cn != null && !cn.isEmpty() && !cn.equals(dn)) {
          names.add(cn);
        }
      }
      case ClientCertificateDns -> firstSan(certificate, SAN_DNS, names);
      case ClientCertificateUri -> firstSan(certificate, SAN_URI, names);
      case ClientCertificateIp -> firstSan(certificate, SAN_IP, names);
      case ClientCertificateEmail -> firstSan(certificate, SAN_EMAIL, names);
      default -> {}
    }
    return names;
  }

  private static void firstSan(X509Certificate certificate, int type, List<String> names) {
    List<String> values = sans(certificate, type);
    if (!values.isEmpty()) {
      names.add(values.get(0));
    }
  }

  /** The most specific (leftmost) CN value of a distinguished name, or null. */
  static String commonName(X500Principal principal) {
    try {
      List<Rdn> rdns = new LdapName(principal.getName(X500Principal.RFC2253)).getRdns();
      // LdapName lists RDNs right to left
      for (int i = rdns.size() - 1; i >= 0; i--) {
        if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
          return String.valueOf(rdns.get(i).getValue());
        }
      }
      return null;
    } catch (InvalidNameException e) {
      return null;
    }
  }

  /** Subject alternative names of one GeneralName type, in certificate order. */
  static List<String> sans(X509Certificate certificate, int type) {
    List<String> values = new ArrayList<>();
    try {
      Collection<List<?>> all = certificate.getSubjectAlternativeNames();
      if (all == null) {
        return values;
      }
      for (List<?> entry : all) {
        if (entry.size() >= 2
            && entry.get(0) instanceof Integer t
            && t == type
            && entry.get(1) instanceof String s) {
          values.add(s);
        }
      }
    } catch (CertificateParsingException e) {
      // an unparsable extension offers no names
    }
    return values;
  }

  private static boolean anyEqualIgnoreCase(List<String> values, String name) {
    for (String v : values) {
      if (v.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  /**
   * IP addresses compare as addresses, so {@code ::1} matches the SAN text {@code 0:0:0:0:0:0:0:1}.
   */
  private static boolean ipMatches(List<String> sanIps, String name) {
    InetAddress wanted = ipLiteral(name);
    if (wanted == null) {
      return false;
    }
    for (String ip : sanIps) {
      if (wanted.equals(ipLiteral(ip))) {
        return true;
      }
    }
    return false;
  }

  /**
   * An IP literal as an address, or null. Never a DNS lookup: only dotted quads with octets up to
   * 255 and texts with a colon (which the JDK refuses rather than resolves when they are no IPv6
   * literal) reach it.
   */
  static InetAddress ipLiteral(String text) {
    if (text == null || !(IPV4.matcher(text).matches() || IPV6.matcher(text).matches())) {
      return null;
    }
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
