package io.mqttgrid.access;

import io.mqttgrid.access.ClientResource.ValidationScheme;
import io.mqttgrid.access.NamespaceSettings.AlternativeNameSource;
import io.mqttgrid.access.NamespaceSettings.IssuerCertificate;
import io.mqttgrid.access.NamespaceSettings.JwtIssuer;
import io.mqttgrid.access.PermissionBinding.Permission;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The JSON shapes of spec section 2 (the properties of each resource, as the management API and the
 * declarative namespace file write them) to and from the model types, with every validation rule of the spec.
 * Bad input raises {@link ModelValidationException} naming the field.
 */
public final class NamespaceModelJson {

  /** Resource kinds as they appear in ARM paths and as sections of the namespace file. */
  public enum Kind {
    // in dependency order: what a resource needs (a CA for its clients, a topic space for its bindings) comes
    // before it; the namespace file is written in this order and removed in the reverse one
    CA_CERTIFICATES("caCertificates", "Microsoft.EventGrid/namespaces/caCertificates"),
    CLIENTS("clients", "Microsoft.EventGrid/namespaces/clients"),
    CLIENT_GROUPS("clientGroups", "Microsoft.EventGrid/namespaces/clientGroups"),
    TOPIC_SPACES("topicSpaces", "Microsoft.EventGrid/namespaces/topicSpaces"),
    PERMISSION_BINDINGS("permissionBindings", "Microsoft.EventGrid/namespaces/permissionBindings"),
    ROLE_ASSIGNMENTS("roleAssignments", "MqttGrid/namespaces/roleAssignments");

    public final String path;
    public final String armType;

    Kind(String path, String armType) {
      this.path = path;
      this.armType = armType;
    }

    public static Kind ofPath(String path) {
      for (Kind k : values()) {
        if (k.path.equals(path)) {
          return k;
        }
      }
      return null;
    }
  }

  // spec section 2.1
  private static final Pattern CLIENT_NAME = Pattern.compile("[-a-zA-Z0-9:._]{1,128}");
  private static final Pattern CHILD_NAME = Pattern.compile("[a-zA-Z0-9-]{3,50}");
  private static final Pattern ATTRIBUTE_KEY = Pattern.compile("[A-Za-z0-9_]+");
  private static final Pattern THUMBPRINT = Pattern.compile("[0-9A-F]{64}");
  private static final int MAX_DESCRIPTION = 1024;

  private NamespaceModelJson() {
  }

  // ------------------------------------------------------------------------------------------- names

  public static void checkName(Kind kind, String name) {
    Pattern p = kind == Kind.CLIENTS ? CLIENT_NAME : CHILD_NAME;
    if (name == null || !p.matcher(name).matches()) {
      throw new ModelValidationException("name", kind == Kind.CLIENTS
          ? "a client name is 1-128 characters of letters, digits, '-', ':', '.' and '_'"
          : "a " + kind.path + " name is 3-50 characters of letters, digits and '-'");
    }
  }

  // ------------------------------------------------------------------------------------------- clients

  public static ClientResource client(String name, JsonObject p, NamespaceLimits limits) {
    checkName(Kind.CLIENTS, name);
    String authName = optString(p, "authenticationName", "properties.authenticationName");
    if (authName == null) {
      authName = name;
    }
    if (authName.isEmpty() || authName.length() > 128) {
      throw new ModelValidationException("properties.authenticationName", "must be 1-128 characters");
    }
    String state = optString(p, "state", "properties.state");
    boolean enabled;
    if (state == null || state.equalsIgnoreCase("Enabled")) {
      enabled = true;
    } else if (state.equalsIgnoreCase("Disabled")) {
      enabled = false;
    } else {
      throw new ModelValidationException("properties.state", "must be Enabled or Disabled");
    }
    ValidationScheme scheme = ValidationScheme.SubjectMatchesAuthenticationName;
    List<String> thumbprints = List.of();
    Object certAuth = p.getValue("clientCertificateAuthentication");
    if (certAuth != null) {
      if (!(certAuth instanceof JsonObject c)) {
        throw new ModelValidationException("properties.clientCertificateAuthentication", "must be an object");
      }
      String s = optString(c, "validationScheme", "properties.clientCertificateAuthentication.validationScheme");
      thumbprints = thumbprints(c.getValue("allowedThumbprints"));
      if (s != null) {
        scheme = enumValue(ValidationScheme.class, s,
            "properties.clientCertificateAuthentication.validationScheme");
      } else if (!thumbprints.isEmpty()) {
        // API versions before validationScheme existed (the 2023 quickstart) list thumbprints alone
        scheme = ValidationScheme.ThumbprintMatch;
      }
    }
    if (scheme == ValidationScheme.ThumbprintMatch && thumbprints.isEmpty()) {
      throw new ModelValidationException("properties.clientCertificateAuthentication.allowedThumbprints",
          "required (1 or 2 SHA-256 thumbprints) when validationScheme is ThumbprintMatch");
    }
    if (scheme != ValidationScheme.ThumbprintMatch && !thumbprints.isEmpty()) {
      throw new ModelValidationException("properties.clientCertificateAuthentication.allowedThumbprints",
          "allowed only when validationScheme is ThumbprintMatch");
    }
    Map<String, Object> attributes = attributes(p.getValue("attributes"), limits);
    String hash = optString(p, "passwordHash", "properties.passwordHash");
    if (hash != null && !hash.startsWith("pbkdf2-sha256$")) {
      throw new ModelValidationException("properties.passwordHash",
          "must be a pbkdf2-sha256$<iterations>$<salt>$<hash> value");
    }
    return new ClientResource(name, authName, description(p), enabled, scheme, thumbprints, attributes, hash);
  }

  private static List<String> thumbprints(Object value) {
    if (value == null) {
      return List.of();
    }
    String field = "properties.clientCertificateAuthentication.allowedThumbprints";
    if (!(value instanceof JsonArray a)) {
      throw new ModelValidationException(field, "must be an array of hex strings");
    }
    if (a.size() > 2) {
      throw new ModelValidationException(field, "at most 2 thumbprints");
    }
    List<String> out = new ArrayList<>();
    for (Object o : a) {
      String t = o instanceof String s ? ClientResource.normalizeThumbprint(s) : null;
      if (t == null || !THUMBPRINT.matcher(t).matches()) {
        throw new ModelValidationException(field, "each thumbprint is the SHA-256 of the certificate: 64 hex digits");
      }
      out.add(t);
    }
    return out;
  }

  private static Map<String, Object> attributes(Object value, NamespaceLimits limits) {
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof JsonObject o)) {
      throw new ModelValidationException("properties.attributes", "must be an object");
    }
    if (o.encode().getBytes(StandardCharsets.UTF_8).length > limits.maxAttributeBytes()) {
      throw new ModelValidationException("properties.attributes",
          "must total less than " + (limits.maxAttributeBytes() + 1) + " bytes");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : o) {
      String field = "properties.attributes." + e.getKey();
      if (!ATTRIBUTE_KEY.matcher(e.getKey()).matches()) {
        throw new ModelValidationException(field, "attribute names are letters, digits and '_'");
      }
      Object v = e.getValue();
      if (v instanceof String || v instanceof Boolean) {
        out.put(e.getKey(), v);
      } else if (v instanceof Integer || v instanceof Long) {
        out.put(e.getKey(), ((Number) v).longValue());
      } else if (v instanceof JsonArray arr) {
        List<String> list = new ArrayList<>();
        for (Object item : arr) {
          if (!(item instanceof String s)) {
            throw new ModelValidationException(field, "an array attribute holds strings only");
          }
          list.add(s);
        }
        out.put(e.getKey(), List.copyOf(list));
      } else {
        throw new ModelValidationException(field, "a value is a string, an integer, a boolean or an array of strings");
      }
    }
    return out;
  }

  public static JsonObject toJson(ClientResource c) {
    JsonObject certAuth = new JsonObject().put("validationScheme", c.validationScheme().name());
    if (!c.allowedThumbprints().isEmpty()) {
      certAuth.put("allowedThumbprints", new JsonArray(new ArrayList<>(c.allowedThumbprints())));
    }
    JsonObject attrs = new JsonObject();
    c.attributes().forEach((k, v) -> attrs.put(k, v instanceof List<?> l ? new JsonArray(new ArrayList<>(l)) : v));
    JsonObject o = new JsonObject().put("authenticationName", c.authenticationName())
        .put("state", c.enabled() ? "Enabled" : "Disabled").put("clientCertificateAuthentication", certAuth)
        .put("attributes", attrs);
    putIfNotNull(o, "description", c.description());
    putIfNotNull(o, "passwordHash", c.passwordHash());
    return o;
  }

  // ------------------------------------------------------------------------------- groups, spaces, bindings

  public static ClientGroup clientGroup(String name, JsonObject p, Function<String, String> queryProblem) {
    checkName(Kind.CLIENT_GROUPS, name);
    String query = optString(p, "query", "properties.query");
    if (query == null || query.isBlank()) {
      throw new ModelValidationException("properties.query", "required");
    }
    String problem = queryProblem.apply(query);
    if (problem != null) {
      throw new ModelValidationException("properties.query", problem);
    }
    return new ClientGroup(name, description(p), query);
  }

  public static JsonObject toJson(ClientGroup g) {
    JsonObject o = new JsonObject().put("query", g.query());
    putIfNotNull(o, "description", g.description());
    return o;
  }

  public static TopicSpace topicSpace(String name, JsonObject p, NamespaceLimits limits,
                                      Function<String, String> templateProblem) {
    checkName(Kind.TOPIC_SPACES, name);
    Object value = p.getValue("topicTemplates");
    if (!(value instanceof JsonArray a) || a.isEmpty()) {
      throw new ModelValidationException("properties.topicTemplates", "required: an array of 1 or more templates");
    }
    if (a.size() > limits.maxTopicTemplates()) {
      throw new ModelValidationException("properties.topicTemplates",
          "at most " + limits.maxTopicTemplates() + " templates per topic space");
    }
    List<String> templates = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      String field = "properties.topicTemplates[" + i + "]";
      if (!(a.getValue(i) instanceof String t) || t.isEmpty()) {
        throw new ModelValidationException(field, "a template is a non-empty string");
      }
      String problem = templateProblem.apply(t);
      if (problem != null) {
        throw new ModelValidationException(field, problem);
      }
      templates.add(t);
    }
    return new TopicSpace(name, description(p), templates);
  }

  public static JsonObject toJson(TopicSpace t) {
    JsonObject o = new JsonObject().put("topicTemplates", new JsonArray(new ArrayList<>(t.topicTemplates())));
    putIfNotNull(o, "description", t.description());
    return o;
  }

  public static PermissionBinding permissionBinding(String name, JsonObject p) {
    checkName(Kind.PERMISSION_BINDINGS, name);
    String group = requiredString(p, "clientGroupName", "properties.clientGroupName");
    String space = requiredString(p, "topicSpaceName", "properties.topicSpaceName");
    Permission permission = enumValue(Permission.class, requiredString(p, "permission", "properties.permission"),
        "properties.permission");
    return new PermissionBinding(name, description(p), group, space, permission);
  }

  public static JsonObject toJson(PermissionBinding b) {
    JsonObject o = new JsonObject().put("clientGroupName", b.clientGroupName())
        .put("topicSpaceName", b.topicSpaceName()).put("permission", b.permission().name());
    putIfNotNull(o, "description", b.description());
    return o;
  }

  public static RoleAssignment roleAssignment(String name, JsonObject p) {
    checkName(Kind.ROLE_ASSIGNMENTS, name);
    String principal = requiredString(p, "principalId", "properties.principalId");
    String role = requiredString(p, "role", "properties.role");
    // the Azure built-in role names are accepted as spelled in the portal (spec section 3.5)
    Permission permission = switch (role) {
      case "Publisher", "EventGrid TopicSpaces Publisher" -> Permission.Publisher;
      case "Subscriber", "EventGrid TopicSpaces Subscriber" -> Permission.Subscriber;
      default -> throw new ModelValidationException("properties.role",
          "must be Publisher, Subscriber, EventGrid TopicSpaces Publisher or EventGrid TopicSpaces Subscriber");
    };
    String space = optString(p, "topicSpaceName", "properties.topicSpaceName");
    return new RoleAssignment(name, principal, permission, space == null || space.isEmpty() ? null : space);
  }

  public static JsonObject toJson(RoleAssignment r) {
    JsonObject o = new JsonObject().put("principalId", r.principalId()).put("role", r.role().name());
    putIfNotNull(o, "topicSpaceName", r.topicSpaceName());
    return o;
  }

  // ------------------------------------------------------------------------------------- CA certificates

  public static CaCertificate caCertificate(String name, JsonObject p) {
    checkName(Kind.CA_CERTIFICATES, name);
    String pem = requiredString(p, "encodedCertificate", "properties.encodedCertificate");
    X509Certificate cert = parseCertificate(pem, "properties.encodedCertificate");
    if (cert.getBasicConstraints() < 0 && !cert.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
      throw new ModelValidationException("properties.encodedCertificate",
          "must be a CA certificate (basic constraints CA:true) or a self-signed root");
    }
    return new CaCertificate(name, description(p), pem.trim());
  }

  public static JsonObject toJson(CaCertificate c) {
    X509Certificate cert = parseCertificate(c.encodedCertificate(), "encodedCertificate");
    JsonObject o = new JsonObject().put("encodedCertificate", c.encodedCertificate())
        .put("issueTimeInUtc", cert.getNotBefore().toInstant().toString())
        .put("expiryTimeInUtc", cert.getNotAfter().toInstant().toString());
    putIfNotNull(o, "description", c.description());
    return o;
  }

  /** One PEM certificate. */
  public static X509Certificate parseCertificate(String pem, String field) {
    try {
      var certs = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.trim().getBytes(StandardCharsets.US_ASCII)));
      if (certs.size() != 1) {
        throw new ModelValidationException(field, "must hold exactly one PEM certificate, found " + certs.size());
      }
      return (X509Certificate) certs.iterator().next();
    } catch (CertificateException e) {
      throw new ModelValidationException(field, "not a PEM X.509 certificate");
    }
  }

  // ------------------------------------------------------------------------------------------- settings

  /**
   * Namespace settings from the {@code topicSpacesConfiguration}-like object: the keys of spec section 2.2 and
   * this broker's extensions.
   */
  public static NamespaceSettings settings(JsonObject p) {
    String hostname = optString(p, "hostname", "settings.hostname");
    int expiryHours = intIn(p, "maximumSessionExpiryInHours", 1, 8, 1, "settings.maximumSessionExpiryInHours");
    int perAuth = intIn(p, "maximumClientSessionsPerAuthenticationName", 1, 100, 1,
        "settings.maximumClientSessionsPerAuthenticationName");
    JsonObject auth = object(p, "clientAuthentication", "settings.clientAuthentication");
    List<AlternativeNameSource> sources = new ArrayList<>();
    JwtIssuer custom = null;
    JwtIssuer oauth2 = null;
    NamespaceSettings.Webhook webhook = null;
    boolean password = false;
    if (auth != null) {
      Object alt = auth.getValue("alternativeAuthenticationNameSources");
      String altField = "settings.clientAuthentication.alternativeAuthenticationNameSources";
      if (alt != null) {
        if (!(alt instanceof JsonArray a)) {
          throw new ModelValidationException(altField, "must be an array");
        }
        for (Object o : a) {
          if (!(o instanceof String s)) {
            throw new ModelValidationException(altField, "holds names of certificate fields");
          }
          AlternativeNameSource src = enumValue(AlternativeNameSource.class, s, altField);
          if (sources.contains(src)) {
            throw new ModelValidationException(altField, s + " is listed twice");
          }
          sources.add(src);
        }
      }
      custom = issuer(object(auth, "customJwtAuthentication", "settings.clientAuthentication.customJwtAuthentication"),
          "settings.clientAuthentication.customJwtAuthentication");
      oauth2 = issuer(object(auth, "oauth2JwtAuthentication", "settings.clientAuthentication.oauth2JwtAuthentication"),
          "settings.clientAuthentication.oauth2JwtAuthentication");
      JsonObject wh = object(auth, "webhookAuthentication", "settings.clientAuthentication.webhookAuthentication");
      if (wh != null) {
        String f = "settings.clientAuthentication.webhookAuthentication";
        String url = requiredString(wh, "endpointUrl", f + ".endpointUrl");
        checkHttpUrl(url, f + ".endpointUrl");
        int timeout = intIn(wh, "timeoutInSeconds", 1, 60, 5, f + ".timeoutInSeconds");
        int ttl = intIn(wh, "cacheTtlInSeconds", 0, 86_400, 60, f + ".cacheTtlInSeconds");
        webhook = new NamespaceSettings.Webhook(url, optString(wh, "bearerToken", f + ".bearerToken"),
            timeout * 1000L, ttl);
      }
      JsonObject pw = object(auth, "passwordAuthentication", "settings.clientAuthentication.passwordAuthentication");
      if (pw != null) {
        Object enabled = pw.getValue("enabled");
        if (enabled != null && !(enabled instanceof Boolean)) {
          throw new ModelValidationException("settings.clientAuthentication.passwordAuthentication.enabled",
              "must be true or false");
        }
        password = Boolean.TRUE.equals(enabled);
      }
    }
    return new NamespaceSettings(hostname == null ? NamespaceSettings.DEFAULTS.hostname() : hostname, expiryHours,
        perAuth, sources, custom, oauth2, webhook, password);
  }

  private static JwtIssuer issuer(JsonObject o, String field) {
    if (o == null) {
      return null;
    }
    String iss = requiredString(o, "tokenIssuer", field + ".tokenIssuer");
    List<String> audiences = new ArrayList<>();
    Object aud = o.getValue("audiences");
    if (aud != null) {
      if (!(aud instanceof JsonArray a)) {
        throw new ModelValidationException(field + ".audiences", "must be an array of strings");
      }
      for (Object x : a) {
        if (!(x instanceof String s) || s.isEmpty()) {
          throw new ModelValidationException(field + ".audiences", "must be an array of non-empty strings");
        }
        audiences.add(s);
      }
    }
    String jwks = optString(o, "jwksUrl", field + ".jwksUrl");
    if (jwks != null) {
      checkHttpUrl(jwks, field + ".jwksUrl");
    }
    List<IssuerCertificate> certs = new ArrayList<>();
    Object enc = o.getValue("encodedIssuerCertificates");
    if (enc != null) {
      if (!(enc instanceof JsonArray a)) {
        throw new ModelValidationException(field + ".encodedIssuerCertificates", "must be an array");
      }
      if (a.size() > 2) {
        throw new ModelValidationException(field + ".encodedIssuerCertificates", "at most 2 (rotation)");
      }
      for (int i = 0; i < a.size(); i++) {
        String f = field + ".encodedIssuerCertificates[" + i + "]";
        if (!(a.getValue(i) instanceof JsonObject c)) {
          throw new ModelValidationException(f, "must be an object {kid, encodedCertificate}");
        }
        String pem = requiredString(c, "encodedCertificate", f + ".encodedCertificate");
        if (!pem.contains("-----BEGIN CERTIFICATE-----") && !pem.contains("-----BEGIN PUBLIC KEY-----")) {
          throw new ModelValidationException(f + ".encodedCertificate", "must be a PEM certificate or public key");
        }
        if (pem.contains("-----BEGIN CERTIFICATE-----")) {
          parseCertificate(pem, f + ".encodedCertificate");
        }
        certs.add(new IssuerCertificate(optString(c, "kid", f + ".kid"), pem.trim()));
      }
    }
    if (certs.isEmpty() && jwks == null) {
      throw new ModelValidationException(field, "needs encodedIssuerCertificates or jwksUrl (the signing keys)");
    }
    return new JwtIssuer(iss, audiences, certs, jwks);
  }

  public static JsonObject toJson(NamespaceSettings s) {
    JsonObject auth = new JsonObject().put("alternativeAuthenticationNameSources",
        new JsonArray(s.alternativeAuthenticationNameSources().stream().map(Enum::name).toList()));
    if (s.customJwt() != null) {
      auth.put("customJwtAuthentication", toJson(s.customJwt()));
    }
    if (s.oauth2Jwt() != null) {
      auth.put("oauth2JwtAuthentication", toJson(s.oauth2Jwt()));
    }
    if (s.webhook() != null) {
      // the bearer token is a secret: it is stored, never shown
      auth.put("webhookAuthentication", new JsonObject().put("endpointUrl", s.webhook().endpointUrl())
          .put("timeoutInSeconds", s.webhook().timeoutMillis() / 1000)
          .put("cacheTtlInSeconds", s.webhook().cacheTtlSeconds()));
    }
    auth.put("passwordAuthentication", new JsonObject().put("enabled", s.passwordAuthentication()));
    return new JsonObject().put("hostname", s.hostname())
        .put("maximumSessionExpiryInHours", s.maximumSessionExpiryInHours())
        .put("maximumClientSessionsPerAuthenticationName", s.maximumClientSessionsPerAuthenticationName())
        .put("clientAuthentication", auth);
  }

  /** The settings as stored: like {@link #toJson(NamespaceSettings)} but keeping the webhook's bearer token. */
  public static JsonObject toStoredJson(NamespaceSettings s) {
    JsonObject o = toJson(s);
    if (s.webhook() != null && s.webhook().bearerToken() != null) {
      o.getJsonObject("clientAuthentication").getJsonObject("webhookAuthentication")
          .put("bearerToken", s.webhook().bearerToken());
    }
    return o;
  }

  private static JsonObject toJson(JwtIssuer i) {
    JsonArray certs = new JsonArray();
    for (IssuerCertificate c : i.certificates()) {
      JsonObject o = new JsonObject().put("encodedCertificate", c.encodedCertificate());
      putIfNotNull(o, "kid", c.kid());
      certs.add(o);
    }
    JsonObject o = new JsonObject().put("tokenIssuer", i.tokenIssuer())
        .put("audiences", new JsonArray(new ArrayList<>(i.audiences()))).put("encodedIssuerCertificates", certs);
    putIfNotNull(o, "jwksUrl", i.jwksUrl());
    return o;
  }

  // ------------------------------------------------------------------------------------- whole model

  /**
   * Rules across resources (spec section 2): counts, authentication names unique case-insensitively,
   * bindings and role assignments naming resources that exist.
   */
  public static void checkModel(NamespaceModel m, NamespaceLimits limits) {
    checkCount(Kind.CLIENTS, m.clients().size(), limits.maxClients());
    checkCount(Kind.CLIENT_GROUPS, m.clientGroups().size(), limits.maxClientGroups());
    checkCount(Kind.TOPIC_SPACES, m.topicSpaces().size(), limits.maxTopicSpaces());
    checkCount(Kind.PERMISSION_BINDINGS, m.permissionBindings().size(), limits.maxPermissionBindings());
    checkCount(Kind.CA_CERTIFICATES, m.caCertificates().size(), limits.maxCaCertificates());
    checkCount(Kind.ROLE_ASSIGNMENTS, m.roleAssignments().size(), limits.maxRoleAssignments());
    Map<String, String> authNames = new java.util.HashMap<>();
    for (ClientResource c : m.clients().values()) {
      String other = authNames.put(NamespaceModel.foldCase(c.authenticationName()), c.name());
      if (other != null) {
        throw new ModelValidationException("clients." + c.name() + ".properties.authenticationName",
            "'" + c.authenticationName() + "' is already the authentication name of client '" + other
                + "' (compared case-insensitively)");
      }
    }
    if (m.clientGroups().containsKey(ClientGroup.ALL)) {
      throw new ModelValidationException("clientGroups.$all", "the built-in group cannot be defined");
    }
    for (PermissionBinding b : m.permissionBindings().values()) {
      String f = "permissionBindings." + b.name() + ".properties.";
      if (!b.clientGroupName().equals(ClientGroup.ALL) && !m.clientGroups().containsKey(b.clientGroupName())) {
        throw new ModelValidationException(f + "clientGroupName", "no client group '" + b.clientGroupName() + "'");
      }
      if (!m.topicSpaces().containsKey(b.topicSpaceName())) {
        throw new ModelValidationException(f + "topicSpaceName", "no topic space '" + b.topicSpaceName() + "'");
      }
    }
    for (RoleAssignment r : m.roleAssignments().values()) {
      if (r.topicSpaceName() != null && !m.topicSpaces().containsKey(r.topicSpaceName())) {
        throw new ModelValidationException("roleAssignments." + r.name() + ".properties.topicSpaceName",
            "no topic space '" + r.topicSpaceName() + "'");
      }
    }
  }

  private static void checkCount(Kind kind, int count, int max) {
    if (count > max) {
      throw new ModelValidationException(kind.path, "at most " + max + " " + kind.path + " (limit "
          + "namespace.limits), found " + count);
    }
  }

  /**
   * A whole namespace document (the declarative file): {@code settings} and one object per resource kind,
   * keyed by resource name, each holding the properties directly or under {@code properties}.
   */
  public static NamespaceModel document(JsonObject doc, NamespaceLimits limits, Function<String, String> queryProblem,
                                        Function<String, String> templateProblem) {
    for (String key : doc.fieldNames()) {
      if (!key.equals("settings") && Kind.ofPath(key) == null) {
        throw new ModelValidationException(key, "unknown section; expected settings, clients, clientGroups, "
            + "topicSpaces, permissionBindings, caCertificates or roleAssignments");
      }
    }
    JsonObject settings = object(doc, "settings", "settings");
    ModelBuilder builder = new ModelBuilder();
    for (Kind kind : Kind.values()) {
      JsonObject section = object(doc, kind.path, kind.path);
      if (section == null) {
        continue;
      }
      for (Map.Entry<String, Object> e : section) {
        if (!(e.getValue() instanceof JsonObject props)) {
          throw new ModelValidationException(kind.path + "." + e.getKey(), "must be an object of properties");
        }
        JsonObject p = props.getValue("properties") instanceof JsonObject inner ? inner : props;
        try {
          builder.add(kind, resource(kind, e.getKey(), p, limits, queryProblem, templateProblem));
        } catch (ModelValidationException ex) {
          throw new ModelValidationException(kind.path + "." + e.getKey() + "." + ex.field(),
              ex.getMessage().substring(ex.field().length() + 2));
        }
      }
    }
    NamespaceModel model = builder.build(settings == null ? NamespaceSettings.DEFAULTS : settings(settings));
    checkModel(model, limits);
    return model;
  }

  /** One resource of any kind from its properties. */
  public static Object resource(Kind kind, String name, JsonObject p, NamespaceLimits limits,
                                Function<String, String> queryProblem, Function<String, String> templateProblem) {
    return switch (kind) {
      case CLIENTS -> client(name, p, limits);
      case CLIENT_GROUPS -> clientGroup(name, p, queryProblem);
      case TOPIC_SPACES -> topicSpace(name, p, limits, templateProblem);
      case PERMISSION_BINDINGS -> permissionBinding(name, p);
      case CA_CERTIFICATES -> caCertificate(name, p);
      case ROLE_ASSIGNMENTS -> roleAssignment(name, p);
    };
  }

  /** The properties of one resource of any kind. */
  public static JsonObject toJson(Kind kind, Object r) {
    return switch (kind) {
      case CLIENTS -> toJson((ClientResource) r);
      case CLIENT_GROUPS -> toJson((ClientGroup) r);
      case TOPIC_SPACES -> toJson((TopicSpace) r);
      case PERMISSION_BINDINGS -> toJson((PermissionBinding) r);
      case CA_CERTIFICATES -> toJson((CaCertificate) r);
      case ROLE_ASSIGNMENTS -> toJson((RoleAssignment) r);
    };
  }

  /** Collects resources of every kind into one model version. */
  public static final class ModelBuilder {
    private final List<ClientResource> clients = new ArrayList<>();
    private final List<ClientGroup> groups = new ArrayList<>();
    private final List<TopicSpace> spaces = new ArrayList<>();
    private final List<PermissionBinding> bindings = new ArrayList<>();
    private final List<CaCertificate> cas = new ArrayList<>();
    private final List<RoleAssignment> roles = new ArrayList<>();

    public ModelBuilder add(Kind kind, Object resource) {
      switch (kind) {
        case CLIENTS -> clients.add((ClientResource) resource);
        case CLIENT_GROUPS -> groups.add((ClientGroup) resource);
        case TOPIC_SPACES -> spaces.add((TopicSpace) resource);
        case PERMISSION_BINDINGS -> bindings.add((PermissionBinding) resource);
        case CA_CERTIFICATES -> cas.add((CaCertificate) resource);
        case ROLE_ASSIGNMENTS -> roles.add((RoleAssignment) resource);
        default -> throw new IllegalStateException();
      }
      return this;
    }

    public NamespaceModel build(NamespaceSettings settings) {
      return new NamespaceModel(settings, clients, groups, spaces, bindings, cas, roles);
    }
  }

  // ------------------------------------------------------------------------------------------- helpers

  private static String description(JsonObject p) {
    String d = optString(p, "description", "properties.description");
    if (d != null && d.length() > MAX_DESCRIPTION) {
      throw new ModelValidationException("properties.description", "at most " + MAX_DESCRIPTION + " characters");
    }
    return d;
  }

  private static void checkHttpUrl(String url, String field) {
    try {
      URI u = new URI(url);
      if (!Set.of("http", "https").contains(String.valueOf(u.getScheme()).toLowerCase(Locale.ROOT))
          || u.getHost() == null) {
        throw new ModelValidationException(field, "must be an absolute http(s) URL");
      }
    } catch (java.net.URISyntaxException e) {
      throw new ModelValidationException(field, "must be an absolute http(s) URL");
    }
  }

  private static JsonObject object(JsonObject p, String key, String field) {
    Object v = p.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject o)) {
      throw new ModelValidationException(field, "must be an object");
    }
    return o;
  }

  private static String optString(JsonObject p, String key, String field) {
    Object v = p.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new ModelValidationException(field, "must be a string");
    }
    return s;
  }

  private static String requiredString(JsonObject p, String key, String field) {
    String s = optString(p, key, field);
    if (s == null || s.isEmpty()) {
      throw new ModelValidationException(field, "required");
    }
    return s;
  }

  private static int intIn(JsonObject p, String key, int min, int max, int dflt, String field) {
    Object v = p.getValue(key);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min
        || ((Number) v).longValue() > max) {
      throw new ModelValidationException(field, "must be an integer from " + min + " to " + max);
    }
    return ((Number) v).intValue();
  }

  private static <E extends Enum<E>> E enumValue(Class<E> type, String value, String field) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(value)) {
        return e;
      }
    }
    throw new ModelValidationException(field, "must be one of "
        + String.join(", ", java.util.Arrays.stream(type.getEnumConstants()).map(Enum::name).toList()));
  }

  private static void putIfNotNull(JsonObject o, String key, Object value) {
    if (value != null) {
      o.put(key, value);
    }
  }
}
