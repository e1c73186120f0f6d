package io.mqttgrid.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttgrid.access.ClientResource.ValidationScheme;
import io.mqttgrid.access.NamespaceModelJson.Kind;
import io.mqttgrid.testing.TestCertificates;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON shapes and validation rules of spec section 2. */
class NamespaceModelJsonTest {

  private static final NamespaceLimits LIMITS = NamespaceLimits.EVENT_GRID;
  private static final String THUMB =
      "8E7968B9C434EAA8139BE58A21F2E7FB15D94C344B3B2ED8F8BC02E4C5FEB7E7";

  private static ClientResource client(String json) {
    return NamespaceModelJson.client("c1", new JsonObject(json), LIMITS);
  }

  private static void refused(Runnable r, String field, String ruleFragment) {
    assertThatThrownBy(r::run)
        .isInstanceOf(ModelValidationException.class)
        .satisfies(e -> assertThat(((ModelValidationException) e).field()).isEqualTo(field))
        .hasMessageContaining(ruleFragment);
  }

  @Test
  void aClientDefaultsToItsNameEnabledAndSubjectMatching() {
    ClientResource c = client("{}");
    assertThat(c.authenticationName()).isEqualTo("c1");
    assertThat(c.enabled()).isTrue();
    assertThat(c.validationScheme()).isEqualTo(ValidationScheme.SubjectMatchesAuthenticationName);
    assertThat(c.attributes()).isEmpty();
  }

  @Test
  void thumbprintsAreNormalizedAndOnlyAllowedForThumbprintMatch() {
    ClientResource c =
        client(
            "{\"clientCertificateAuthentication\": {\"validationScheme\": \"ThumbprintMatch\","
                + "\"allowedThumbprints\": [\""
                + THUMB.toLowerCase().replaceAll("(..)", "$1:").replaceAll(":$", "")
                + "\"]}}");
    assertThat(c.allowedThumbprints()).containsExactly(THUMB);
    // the 2023 quickstart gives thumbprints without a scheme: they mean ThumbprintMatch
    assertThat(
            client(
                    "{\"clientCertificateAuthentication\": {\"allowedThumbprints\": [\""
                        + THUMB
                        + "\"]}}")
                .validationScheme())
        .isEqualTo(ValidationScheme.ThumbprintMatch);
    refused(
        () ->
            client(
                "{\"clientCertificateAuthentication\": {\"validationScheme\": \"ThumbprintMatch\"}}"),
        "properties.clientCertificateAuthentication.allowedThumbprints",
        "required");
    refused(
        () ->
            client(
                "{\"clientCertificateAuthentication\": {\"validationScheme\": "
                    + "\"DnsMatchesAuthenticationName\", \"allowedThumbprints\": [\""
                    + THUMB
                    + "\"]}}"),
        "properties.clientCertificateAuthentication.allowedThumbprints",
        "only when");
    refused(
        () ->
            client(
                "{\"clientCertificateAuthentication\": {\"allowedThumbprints\": [\""
                    + THUMB
                    + "\", \""
                    + THUMB
                    + "\", \""
                    + THUMB
                    + "\"]}}"),
        "properties.clientCertificateAuthentication.allowedThumbprints",
        "at most 2");
    refused(
        () -> client("{\"clientCertificateAuthentication\": {\"allowedThumbprints\": [\"ABCD\"]}}"),
        "properties.clientCertificateAuthentication.allowedThumbprints",
        "64 hex digits");
    refused(
        () -> client("{\"clientCertificateAuthentication\": {\"validationScheme\": \"Magic\"}}"),
        "properties.clientCertificateAuthentication.validationScheme",
        "must be one of");
  }

  @Test
  void attributesKeepTheirTypesAndFollowTheRules() {
    ClientResource c =
        client(
            "{\"attributes\": {\"room\": \"345\", \"floor\": 3, \"deviceTypes\": [\"Fan\", \"Light\"],"
                + " \"on\": true}}");
    assertThat(c.attributes())
        .containsEntry("room", "345")
        .containsEntry("floor", 3L)
        .containsEntry("deviceTypes", List.of("Fan", "Light"))
        .containsEntry("on", true);
    refused(
        () -> client("{\"attributes\": {\"a-b\": \"x\"}}"),
        "properties.attributes.a-b",
        "letters, digits");
    refused(
        () -> client("{\"attributes\": {\"f\": 1.5}}"), "properties.attributes.f", "a value is");
    refused(
        () -> client("{\"attributes\": {\"f\": [1, 2]}}"),
        "properties.attributes.f",
        "strings only");
    refused(
        () -> client("{\"attributes\": {\"f\": {\"x\": 1}}}"),
        "properties.attributes.f",
        "a value is");
    refused(
        () -> client("{\"attributes\": {\"big\": \"" + "x".repeat(4100) + "\"}}"),
        "properties.attributes",
        "less than 4096 bytes");
  }

  @Test
  void namesFollowTheArmPatterns() {
    refused(() -> NamespaceModelJson.checkName(Kind.CLIENTS, "a b"), "name", "1-128");
    refused(() -> NamespaceModelJson.checkName(Kind.CLIENTS, "x".repeat(129)), "name", "1-128");
    NamespaceModelJson.checkName(Kind.CLIENTS, "dev:1.a_b-c");
    refused(() -> NamespaceModelJson.checkName(Kind.TOPIC_SPACES, "ab"), "name", "3-50");
    refused(() -> NamespaceModelJson.checkName(Kind.TOPIC_SPACES, "a_bc"), "name", "3-50");
    refused(() -> client("{\"state\": \"Paused\"}"), "properties.state", "Enabled or Disabled");
    refused(
        () -> client("{\"authenticationName\": \"\"}"), "properties.authenticationName", "1-128");
  }

  @Test
  void settingsHaveTheSpecRangesAndDefaults() {
    NamespaceSettings d = NamespaceModelJson.settings(new JsonObject());
    assertThat(d.maximumSessionExpiryInHours()).isEqualTo(1);
    assertThat(d.maximumClientSessionsPerAuthenticationName()).isEqualTo(1);
    refused(
        () -> NamespaceModelJson.settings(new JsonObject().put("maximumSessionExpiryInHours", 9)),
        "settings.maximumSessionExpiryInHours",
        "from 1 to 8");
    refused(
        () ->
            NamespaceModelJson.settings(
                new JsonObject().put("maximumClientSessionsPerAuthenticationName", 0)),
        "settings.maximumClientSessionsPerAuthenticationName",
        "from 1 to 100");
    refused(
        () ->
            NamespaceModelJson.settings(
                new JsonObject(
                    "{\"clientAuthentication\": "
                        + "{\"alternativeAuthenticationNameSources\": [\"ClientCertificateSubject\", \"ClientCertificateSubject\"]}}")),
        "settings.clientAuthentication.alternativeAuthenticationNameSources",
        "listed twice");
    refused(
        () ->
            NamespaceModelJson.settings(
                new JsonObject(
                    "{\"clientAuthentication\": "
                        + "{\"customJwtAuthentication\": {\"tokenIssuer\": \"https://i\"}}}")),
        "settings.clientAuthentication.customJwtAuthentication",
        "signing keys");
    refused(
        () ->
            NamespaceModelJson.settings(
                new JsonObject(
                    "{\"clientAuthentication\": "
                        + "{\"webhookAuthentication\": {\"endpointUrl\": \"ftp://x\"}}}")),
        "settings.clientAuthentication.webhookAuthentication.endpointUrl",
        "http(s) URL");
    NamespaceSettings full =
        NamespaceModelJson.settings(
            new JsonObject(
                "{\"clientAuthentication\": "
                    + "{\"webhookAuthentication\": {\"endpointUrl\": \"https://auth.example/x\", \"bearerToken\": \"s3cret\"}}}"));
    assertThat(full.webhook().timeoutMillis()).isEqualTo(5000);
    assertThat(NamespaceModelJson.toJson(full).encode()).doesNotContain("s3cret");
    assertThat(NamespaceModelJson.settings(NamespaceModelJson.toStoredJson(full))).isEqualTo(full);
  }

  @Test
  void caCertificatesMustBeCertificatesOfACa(@TempDir Path dir) throws Exception {
    // a self-signed certificate is a root, whatever its basic constraints say
    TestCertificates ca = TestCertificates.selfSignedServer(dir);
    CaCertificate c =
        NamespaceModelJson.caCertificate(
            "root-ca", new JsonObject().put("encodedCertificate", Files.readString(ca.certFile)));
    assertThat(NamespaceModelJson.toJson(c).getString("expiryTimeInUtc")).isNotBlank();
    // what the console shows of it
    assertThat(NamespaceModelJson.toJson(c).getString("subject")).isEqualTo("CN=localhost");
    assertThat(NamespaceModelJson.toJson(c).getString("thumbprint"))
        .isEqualTo(
            java.util.HexFormat.of()
                .withUpperCase()
                .formatHex(
                    java.security.MessageDigest.getInstance("SHA-256")
                        .digest(ca.certificate.getEncoded())));
    refused(
        () ->
            NamespaceModelJson.caCertificate(
                "root-ca", new JsonObject().put("encodedCertificate", "nope")),
        "properties.encodedCertificate",
        "not a PEM");
  }

  @Test
  void theWholeModelNeedsUniqueNamesAndExistingReferences() {
    JsonObject doc =
        new JsonObject(
            """
        {"clients": {"a1": {"authenticationName": "Dev"}, "a2": {"properties": {"authenticationName": "dev"}}}}""");
    refused(
        () -> NamespaceModelJson.document(doc, LIMITS, q -> null, t -> null),
        "clients.a2.properties.authenticationName",
        "case-insensitively");
    JsonObject dangling =
        new JsonObject(
            """
        {"permissionBindings": {"pb1": {"clientGroupName": "nobody", "topicSpaceName": "ts1", "permission": "Publisher"}}}""");
    refused(
        () -> NamespaceModelJson.document(dangling, LIMITS, q -> null, t -> null),
        "permissionBindings.pb1.properties.clientGroupName",
        "no client group");
    refused(
        () ->
            NamespaceModelJson.document(
                new JsonObject("{\"clientGroupz\": {}}"), LIMITS, q -> null, t -> null),
        "clientGroupz",
        "unknown section");
    NamespaceLimits tiny = new NamespaceLimits(1, 10, 10, 10, 100, 10, 10, 4095);
    refused(
        () ->
            NamespaceModelJson.document(
                new JsonObject("{\"clients\": {\"a\": {}, \"b\": {}}}"),
                tiny,
                q -> null,
                t -> null),
        "clients",
        "at most 1");
    refused(
        () ->
            NamespaceModelJson.document(
                new JsonObject("{\"clientGroups\": {\"grp\": {\"query\": \"x\"}}}"),
                LIMITS,
                q -> "bad query",
                t -> null),
        "clientGroups.grp.properties.query",
        "bad query");
  }
}
