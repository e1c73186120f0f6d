package io.mqttgrid.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.access.CaCertificate;
import io.mqttgrid.testing.TestCertificates;
import io.mqttgrid.testing.TestCertificates.Issued;
import io.mqttgrid.testing.TestCertificates.Spec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CaTrustTest {

  static Issued root;
  static Issued intermediate;
  static Issued leafOfIntermediate;
  static Issued leafOfRoot;

  @BeforeAll
  static void certificates() throws Exception {
    root = TestCertificates.rootCa("CN=Root CA,O=Grid");
    intermediate = root.issueCa("CN=Intermediate CA,O=Grid");
    leafOfIntermediate = intermediate.issue(new Spec("CN=device-1"));
    leafOfRoot = root.issue(new Spec("CN=device-2").rsa());
  }

  private static CaTrust trusting(Issued... cas) {
    List<CaCertificate> list = new ArrayList<>();
    for (Issued ca : cas) {
      list.add(new CaCertificate("ca" + list.size(), null, ca.pem()));
    }
    return CaTrust.of(list);
  }

  @Test
  void aLeafChainsToAnUploadedRootThroughThePresentedIntermediate() {
    assertThat(leafOfIntermediate.chain).hasSize(2);
    assertThat(trusting(root).validate(leafOfIntermediate.chain, new Date())).isNull();
    assertThat(trusting(root).validate(leafOfRoot.chain, new Date())).isNull();
  }

  @Test
  void anUploadedIntermediateIsATrustAnchorOfItsOwn() {
    assertThat(trusting(intermediate).validate(List.of(leafOfIntermediate.certificate), new Date()))
        .isNull();
    assertThat(trusting(intermediate).validate(leafOfIntermediate.chain, new Date())).isNull();
    assertThat(trusting(intermediate).validate(leafOfRoot.chain, new Date())).isNotNull();
  }

  @Test
  void aChainWithoutItsIntermediateDoesNotReachTheRoot() {
    assertThat(trusting(root).validate(List.of(leafOfIntermediate.certificate), new Date()))
        .isNotNull();
  }

  @Test
  void anUnknownCaIsRefused() throws Exception {
    Issued stranger = TestCertificates.rootCa("CN=Root CA,O=Grid");
    Issued forged = stranger.issue(new Spec("CN=device-1"));
    assertThat(trusting(root).validate(forged.chain, new Date())).isNotNull();
    assertThat(CaTrust.NONE.validate(leafOfRoot.chain, new Date()))
        .contains("no valid CA certificate");
  }

  @Test
  void validityPeriodsOfLeafIntermediateAndAnchorAreChecked() throws Exception {
    Instant now = Instant.now();
    assertThat(trusting(root).validate(leafOfRoot.chain, Date.from(now.plus(Duration.ofDays(2)))))
        .isNotNull();
    Issued expiredIntermediate =
        root.issue(
            new Spec("CN=Old Intermediate")
                .ca()
                .valid(now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1))));
    Issued leaf =
        expiredIntermediate.issue(
            new Spec("CN=device-3")
                .valid(now.minus(Duration.ofDays(5)), now.plus(Duration.ofDays(5))));
    assertThat(trusting(root).validate(leaf.chain, new Date())).isNotNull();
    assertThat(trusting(expiredIntermediate).validate(leaf.chain, new Date())).isNotNull();
  }

  @Test
  void aLeafCannotActAsACa() throws Exception {
    Issued notACa = root.issue(new Spec("CN=device-4"));
    Issued issuedByLeaf = notACa.issue(new Spec("CN=device-5"));
    assertThat(trusting(root).validate(issuedByLeaf.chain, new Date())).isNotNull();
  }

  @Test
  void aCertificateForServersOnlyCannotAuthenticateAClient() throws Exception {
    Issued server = root.issue(new Spec("CN=server").serverOnly());
    assertThat(trusting(root).validate(server.chain, new Date())).contains("extended key usage");
  }

  @Test
  void unparsableCaCertificatesAreLeftOut() {
    CaTrust trust =
        CaTrust.of(
            List.of(
                new CaCertificate(
                    "bad", null, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
                new CaCertificate("good", null, root.pem().replace("\n", ""))));
    assertThat(trust.size()).isEqualTo(1);
    assertThat(trust.validate(leafOfRoot.chain, new Date())).isNull();
  }
}
