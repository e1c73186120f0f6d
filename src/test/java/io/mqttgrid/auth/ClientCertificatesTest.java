package io.mqttgrid.auth;

import static io.mqttgrid.access.ClientResource.ValidationScheme.DnsMatchesAuthenticationName;
import static io.mqttgrid.access.ClientResource.ValidationScheme.EmailMatchesAuthenticationName;
import static io.mqttgrid.access.ClientResource.ValidationScheme.IpMatchesAuthenticationName;
import static io.mqttgrid.access.ClientResource.ValidationScheme.SubjectMatchesAuthenticationName;
import static io.mqttgrid.access.ClientResource.ValidationScheme.ThumbprintMatch;
import static io.mqttgrid.access.ClientResource.ValidationScheme.UriMatchesAuthenticationName;
import static io.mqttgrid.access.NamespaceSettings.AlternativeNameSource.ClientCertificateDns;
import static io.mqttgrid.access.NamespaceSettings.AlternativeNameSource.ClientCertificateEmail;
import static io.mqttgrid.access.NamespaceSettings.AlternativeNameSource.ClientCertificateIp;
import static io.mqttgrid.access.NamespaceSettings.AlternativeNameSource.ClientCertificateSubject;
import static io.mqttgrid.access.NamespaceSettings.AlternativeNameSource.ClientCertificateUri;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.TestCertificates;
import io.mqttgrid.testing.TestCertificates.Issued;
import io.mqttgrid.testing.TestCertificates.Spec;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ClientCertificatesTest {

  static Issued ca;
  static X509Certificate device;
  static X509Certificate bare;

  @BeforeAll
  static void certificates() throws Exception {
    ca = TestCertificates.rootCa("CN=Test Root,O=Grid");
    device =
        ca.issue(
                new Spec("CN=device-7,OU=Plant 1,O=Contoso")
                    .dns("first.example.com")
                    .dns("second.example.com")
                    .uri("spiffe://contoso/device-7")
                    .uri("urn:device:7")
                    .ip("10.0.0.7")
                    .ip("2001:db8::7")
                    .email("device7@contoso.com")
                    .email("other@contoso.com"))
            .certificate;
    bare = ca.issue(new Spec("O=NoCommonName")).certificate;
  }

  @Test
  void thumbprintIsTheSha256OfTheDerCertificateInUpperCaseHex() throws Exception {
    Issued self = TestCertificates.selfSigned(new Spec("CN=self"));
    assertThat(ClientCertificates.thumbprint(self.certificate))
        .isEqualTo(self.thumbprint())
        .hasSize(64)
        .matches("[0-9A-F]+");
  }

  @Test
  void thumbprintsCompareIgnoringCaseColonsAndSpaces() throws Exception {
    String hex = ClientCertificates.thumbprint(device);
    StringBuilder colons = new StringBuilder();
    for (int i = 0; i < hex.length(); i += 2) {
      colons.append(i == 0 ? "" : (i % 8 == 0 ? " : " : ":")).append(hex, i, i + 2);
    }
    assertThat(ClientCertificates.thumbprintAllowed(device, List.of(hex.toLowerCase()))).isTrue();
    assertThat(ClientCertificates.thumbprintAllowed(device, List.of(colons.toString()))).isTrue();
    assertThat(ClientCertificates.thumbprintAllowed(device, List.of("00".repeat(32), hex)))
        .isTrue();
    assertThat(ClientCertificates.thumbprintAllowed(device, List.of("00".repeat(32)))).isFalse();
    assertThat(ClientCertificates.thumbprintAllowed(device, List.of(hex.substring(2)))).isFalse();
    assertThat(ClientCertificates.thumbprintAllowed(device, List.of())).isFalse();
  }

  @Test
  void subjectMatchesTheCommonNameOrTheWholeDistinguishedName() {
    assertThat(ClientCertificates.nameMatches(SubjectMatchesAuthenticationName, device, "device-7"))
        .isTrue();
    assertThat(ClientCertificates.nameMatches(SubjectMatchesAuthenticationName, device, "DEVICE-7"))
        .isTrue();
    assertThat(
            ClientCertificates.nameMatches(
                SubjectMatchesAuthenticationName, device, "CN=device-7,OU=Plant 1,O=Contoso"))
        .isTrue();
    assertThat(
            ClientCertificates.nameMatches(
                SubjectMatchesAuthenticationName, device, "cn=Device-7, ou=plant 1, o=contoso"))
        .isTrue();
    assertThat(ClientCertificates.nameMatches(SubjectMatchesAuthenticationName, device, "device"))
        .isFalse();
    assertThat(
            ClientCertificates.nameMatches(SubjectMatchesAuthenticationName, device, "CN=device-7"))
        .isFalse();
    assertThat(ClientCertificates.nameMatches(SubjectMatchesAuthenticationName, device, "Plant 1"))
        .isFalse();
    assertThat(
            ClientCertificates.nameMatches(
                SubjectMatchesAuthenticationName, bare, "O=NoCommonName"))
        .isTrue();
  }

  @Test
  void sanSchemesMatchAnyEntryOfTheirTypeOnly() {
    assertThat(
            ClientCertificates.nameMatches(
                DnsMatchesAuthenticationName, device, "second.EXAMPLE.com"))
        .isTrue();
    assertThat(ClientCertificates.nameMatches(DnsMatchesAuthenticationName, device, "device-7"))
        .isFalse();
    assertThat(ClientCertificates.nameMatches(UriMatchesAuthenticationName, device, "urn:device:7"))
        .isTrue();
    assertThat(
            ClientCertificates.nameMatches(
                UriMatchesAuthenticationName, device, "first.example.com"))
        .isFalse();
    assertThat(
            ClientCertificates.nameMatches(
                EmailMatchesAuthenticationName, device, "Other@Contoso.com"))
        .isTrue();
    assertThat(
            ClientCertificates.nameMatches(EmailMatchesAuthenticationName, device, "urn:device:7"))
        .isFalse();
    assertThat(ClientCertificates.nameMatches(IpMatchesAuthenticationName, device, "10.0.0.7"))
        .isTrue();
    assertThat(
            ClientCertificates.nameMatches(
                IpMatchesAuthenticationName, device, "2001:DB8:0:0:0:0:0:7"))
        .isTrue();
    assertThat(ClientCertificates.nameMatches(IpMatchesAuthenticationName, device, "2001:db8::7"))
        .isTrue();
    assertThat(ClientCertificates.nameMatches(IpMatchesAuthenticationName, device, "10.0.0.8"))
        .isFalse();
    assertThat(
            ClientCertificates.nameMatches(
                IpMatchesAuthenticationName, device, "first.example.com"))
        .isFalse();
    assertThat(ClientCertificates.nameMatches(DnsMatchesAuthenticationName, bare, "anything"))
        .isFalse();
    assertThat(ClientCertificates.nameMatches(ThumbprintMatch, device, "device-7")).isFalse();
  }

  @Test
  void alternativeNamesAreTheFirstEntryOfEachSanTypeAndTheSubjectAsDnThenCn() {
    assertThat(ClientCertificates.alternativeNames(ClientCertificateSubject, device))
        .containsExactly("CN=device-7,OU=Plant 1,O=Contoso", "device-7");
    assertThat(ClientCertificates.alternativeNames(ClientCertificateDns, device))
        .containsExactly("first.example.com");
    assertThat(ClientCertificates.alternativeNames(ClientCertificateUri, device))
        .containsExactly("spiffe://contoso/device-7");
    assertThat(ClientCertificates.alternativeNames(ClientCertificateIp, device))
        .containsExactly("10.0.0.7");
    assertThat(ClientCertificates.alternativeNames(ClientCertificateEmail, device))
        .containsExactly("device7@contoso.com");
    assertThat(ClientCertificates.alternativeNames(ClientCertificateDns, bare)).isEmpty();
    assertThat(ClientCertificates.alternativeNames(ClientCertificateSubject, bare))
        .containsExactly("O=NoCommonName");
  }

  @Test
  void onlyIpLiteralsAreParsedAsAddresses() {
    assertThat(ClientCertificates.ipLiteral("127.0.0.1")).isNotNull();
    assertThat(ClientCertificates.ipLiteral("::1")).isNotNull();
    assertThat(ClientCertificates.ipLiteral("256.0.0.1")).isNull();
    assertThat(ClientCertificates.ipLiteral("localhost")).isNull();
    assertThat(ClientCertificates.ipLiteral("1.2.3")).isNull();
    assertThat(ClientCertificates.ipLiteral("12:zz::1")).isNull();
  }
}
