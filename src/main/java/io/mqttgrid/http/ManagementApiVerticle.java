package io.mqttgrid.http;

import static io.mqttgrid.http.ManagementErrors.error;
import static io.mqttgrid.http.ManagementErrors.jsonObjectBody;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mqttgrid.access.ModelValidationException;
import io.mqttgrid.access.NamespaceModelJson;
import io.mqttgrid.access.NamespaceModelJson.Kind;
import io.mqttgrid.access.NamespaceSettings;
import io.mqttgrid.access.NamespaceStore;
import io.mqttgrid.auth.BearerTokenAuthenticator;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management port: the namespace model's REST API with the ARM-shaped paths of Event Grid's
 * namespace resource model ({@code PUT/GET/DELETE .../namespaces/{ns}/clients/{name}}, lists with
 * paging), plus health and Prometheus metrics for the orchestrator. The API needs an admin
 * credential: the configured static token, or a JWT of a namespace issuer whose {@code roles} claim
 * holds the admin role.
 */
public final class ManagementApiVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ManagementApiVerticle.class);
  private static final String ARM_PREFIX =
      "/subscriptions/:subscription/resourceGroups/:resourceGroup/providers/Microsoft.EventGrid/namespaces/:ns";
  private static final String SHORT_PREFIX = "/namespaces/:ns";
  private static final int DEFAULT_PAGE = 100;
  private static final int MAX_PAGE = 1000;
  private static final int MAX_BODY = 1024 * 1024;
  private static final String BRIDGES_PATH = "/bridges";

  /** Who may use the API. */
  public record AdminAccess(String token, String adminRole, BearerTokenAuthenticator bearer) {}

  private final String host;
  private final int port;
  private final NamespaceStore store;
  private final String namespaceName;
  private final AdminAccess admin;
  private final Supplier<HealthRoutes.Readiness> ready;
  private final PrometheusMeterRegistry registry;
  private final HttpConnectionGuard guard;
  private final Supplier<Future<JsonObject>> bridges;
  private final ResourceRoutes bridgeApi;
  private HttpServer server;
  private Extension console;

  public ManagementApiVerticle(
      String host,
      int port,
      NamespaceStore store,
      String namespaceName,
      AdminAccess admin,
      Supplier<HealthRoutes.Readiness> ready,
      PrometheusMeterRegistry registry,
      HttpConnectionGuard guard,
      Supplier<Future<JsonObject>> bridges,
      ResourceRoutes bridgeApi) {
    this.bridgeApi = bridgeApi;
    this.host = host;
    this.port = port;
    this.store = store;
    this.namespaceName = namespaceName;
    this.admin = admin;
    this.ready = ready;
    this.registry = registry;
    this.guard = guard;
    this.bridges = bridges;
  }

  /**
   * More routes on the management port (the web console, io.mqttgrid.console): its own, and API
   * endpoints under each namespace path, behind the admin check.
   */
  public interface Extension {
    void mountStatic(Router router);

    /** Called after the admin check and body handler of {@code prefix}, before its model routes. */
    void mountApi(Router router, String prefix);
  }

  /**
   * Resources of their own under the namespace's path (the bridge's dataflow endpoints and
   * dataflows), each route behind the admin check it is given.
   */
  public interface ResourceRoutes {
    void mount(Router router, Handler<RoutingContext> authorize);
  }

  /** Serves the web console and its API endpoints too (set before deployment). */
  public void console(Extension console) {
    this.console = console;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    HealthRoutes.mount(router, ready, registry);
    if (console != null) {
      console.mountStatic(router);
    }
    // the bridges' state: read-only, for the admin (it names remote hosts and client ids); not part
    // of /health/ready, where a remote broker being away must not make this node unready
    router.get(BRIDGES_PATH).handler(this::authorize).handler(this::getBridges);
    bridgeApi.mount(router, this::authorize); // dataflow endpoints and dataflows (docs/bridge.md)
    for (String prefix : List.of(ARM_PREFIX, SHORT_PREFIX)) {
      // the credential first: a caller without one is refused before a byte of its body (up to
      // MAX_BODY) is read.
      // Two routes, since vertx-web refuses a user handler before a body handler on one route.
      router.route(prefix + "*").handler(this::authorize);
      router.route(prefix + "*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY));
      if (console != null) {
        console.mountApi(router, prefix);
      }
      router.get(prefix).handler(this::getNamespace);
      router.put(prefix).handler(this::putNamespace);
      router.get(prefix + "/:kind").handler(this::list);
      router.get(prefix + "/:kind/:name").handler(this::get);
      router.put(prefix + "/:kind/:name").handler(this::put);
      router.delete(prefix + "/:kind/:name").handler(this::delete);
    }
    server =
        guard.install(vertx.createHttpServer(guard.configure(new HttpServerOptions())), router);
    return HttpApiVerticle.named(server.listen(port, host), "management", host, port);
  }

  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  // ------------------------------------------------------------------------------------- admin
  // check

  private void authorize(RoutingContext ctx) {
    // held while a JWT is checked, so that no body bytes are lost before the body handler reads
    // them
    ctx.request().pause();
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      error(
          ctx,
          401,
          "Unauthorized",
          "an admin bearer token is required (Authorization: Bearer ...)",
          null);
      return;
    }
    String token = header.substring(7).trim();
    if (!admin.token().isEmpty()
        && MessageDigest.isEqual(
            token.getBytes(StandardCharsets.UTF_8),
            admin.token().getBytes(StandardCharsets.UTF_8))) {
      checkNamespace(ctx);
      return;
    }
    BearerTokenAuthenticator bearer = admin.bearer();
    if (bearer == null || token.chars().filter(c -> c == '.').count() != 2) {
      error(ctx, 401, "Unauthorized", "the bearer token is not valid for the management API", null);
      return;
    }
    bearer
        .authenticateBearer(token)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                error(ctx, 500, "InternalError", "the token could not be checked", null);
              } else if (!ar.result().isAllowed()) {
                error(
                    ctx,
                    401,
                    "Unauthorized",
                    "the bearer token is not valid for the management API",
                    null);
              } else if (!hasRole(ar.result().identity().attributes().get("roles"))) {
                error(
                    ctx,
                    403,
                    "Forbidden",
                    "the token lacks the role '" + admin.adminRole() + "'",
                    null);
              } else {
                checkNamespace(ctx);
              }
            });
  }

  private boolean hasRole(Object roles) {
    return roles instanceof List<?> l
        ? l.contains(admin.adminRole())
        : admin.adminRole().equals(roles);
  }

  private void checkNamespace(RoutingContext ctx) {
    if (ctx.pathParam("ns") == null && BRIDGES_PATH.equals(ctx.request().path())) {
      ctx.next(); // not a namespace resource
      return;
    }
    if (!namespaceName.equals(ctx.pathParam("ns"))) {
      error(
          ctx,
          404,
          "NotFound",
          "no namespace '" + ctx.pathParam("ns") + "' (this broker serves '" + namespaceName + "')",
          null);
      return;
    }
    ctx.next();
  }

  // ------------------------------------------------------------------------------------------
  // handlers

  private void getBridges(RoutingContext ctx) {
    ctx.request().resume(); // paused by authorize
    bridges
        .get()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                internal(ctx, ar.cause());
              } else {
                ctx.json(ar.result());
              }
            });
  }

  private void getNamespace(RoutingContext ctx) {
    store
        .settings()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                internal(ctx, ar.cause());
                return;
              }
              JsonObject settings = NamespaceModelJson.toJson(store.current().settings());
              JsonObject body =
                  new JsonObject()
                      .put("id", basePath(ctx))
                      .put("name", namespaceName)
                      .put("type", "Microsoft.EventGrid/namespaces")
                      .put(
                          "properties",
                          new JsonObject()
                              .put("provisioningState", "Succeeded")
                              .put("topicSpacesConfiguration", settings.put("state", "Enabled")));
              if (ar.result() != null) {
                body.put("systemData", systemData(ar.result()));
              }
              ctx.json(body);
            });
  }

  private void putNamespace(RoutingContext ctx) {
    JsonObject body = jsonObjectBody(ctx);
    if (body == null) {
      return;
    }
    JsonObject props = body.getValue("properties") instanceof JsonObject p ? p : body;
    Object tsc = props.getValue("topicSpacesConfiguration");
    if (!(tsc instanceof JsonObject settings)) {
      error(
          ctx,
          400,
          "InvalidRequest",
          "properties.topicSpacesConfiguration: required (an object)",
          "properties.topicSpacesConfiguration");
      return;
    }
    JsonObject copy = settings.copy();
    copy.remove("state"); // the broker is always on; hostname is settable here, read-only in Azure
    keepWebhookToken(copy, store.current().settings().webhook());
    store
        .putSettings(copy, NamespaceStore.Origin.api)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                fail(ctx, ar.cause(), "properties.topicSpacesConfiguration.");
              } else {
                LOG.info("namespace settings changed through the management API");
                getNamespace(ctx);
              }
            });
  }

  /**
   * The webhook's bearer token is never shown, so a GET-then-PUT of the settings carries none: a
   * PUT without {@code bearerToken} for the same endpoint keeps the stored one rather than dropping
   * it silently. {@code "bearerToken": null} removes it; a new endpoint never inherits it (the
   * secret goes only where it was meant to).
   */
  private static void keepWebhookToken(JsonObject settings, NamespaceSettings.Webhook stored) {
    if (stored == null || stored.bearerToken() == null) {
      return;
    }
    if (settings.getValue("clientAuthentication") instanceof JsonObject auth
        && auth.getValue("webhookAuthentication") instanceof JsonObject webhook
        && !webhook.containsKey("bearerToken")
        && stored.endpointUrl().equals(webhook.getValue("endpointUrl"))) {
      webhook.put("bearerToken", stored.bearerToken());
    }
  }

  private void list(RoutingContext ctx) {
    Kind kind = kind(ctx);
    if (kind == null) {
      return;
    }
    int top;
    try {
      String t = ctx.request().getParam("$top");
      top = t == null ? DEFAULT_PAGE : Integer.parseInt(t);
      if (top < 1 || top > MAX_PAGE) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      error(ctx, 400, "InvalidRequest", "$top must be an integer from 1 to " + MAX_PAGE, "$top");
      return;
    }
    String after;
    try {
      String skip = ctx.request().getParam("$skipToken");
      after =
          skip == null
              ? null
              : new String(Base64.getUrlDecoder().decode(skip), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      error(ctx, 400, "InvalidRequest", "$skipToken is not a token this API issued", "$skipToken");
      return;
    }
    store
        .list(kind)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                internal(ctx, ar.cause());
                return;
              }
              JsonArray value = new JsonArray();
              String last = null;
              boolean more = false;
              for (NamespaceStore.StoredResource r : ar.result()) {
                if (after != null && r.name().compareTo(after) <= 0) {
                  continue;
                }
                if (value.size() == top) {
                  more = true;
                  break;
                }
                value.add(resource(ctx, kind, r));
                last = r.name();
              }
              JsonObject body = new JsonObject().put("value", value);
              if (more) {
                String token =
                    Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(last.getBytes(StandardCharsets.UTF_8));
                body.put(
                    "nextLink",
                    ctx.request().scheme()
                        + "://"
                        + ctx.request().authority()
                        + basePath(ctx)
                        + "/"
                        + kind.path
                        + "?$top="
                        + top
                        + "&$skipToken="
                        + token);
              }
              ctx.json(body);
            });
  }

  private void get(RoutingContext ctx) {
    Kind kind = kind(ctx);
    if (kind == null) {
      return;
    }
    String name = ctx.pathParam("name");
    store
        .get(kind, name)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                internal(ctx, ar.cause());
              } else if (ar.result() == null) {
                error(ctx, 404, "NotFound", kind.path + " '" + name + "' does not exist", null);
              } else {
                ctx.json(resource(ctx, kind, ar.result()));
              }
            });
  }

  private void put(RoutingContext ctx) {
    Kind kind = kind(ctx);
    if (kind == null) {
      return;
    }
    JsonObject body = jsonObjectBody(ctx);
    if (body == null) {
      return;
    }
    Object props = body.getValue("properties");
    if (!(props instanceof JsonObject properties)) {
      error(ctx, 400, "InvalidRequest", "properties: required (an object)", "properties");
      return;
    }
    String name = ctx.pathParam("name");
    store
        .put(kind, name, properties, NamespaceStore.Origin.api)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                fail(ctx, ar.cause(), "");
                return;
              }
              LOG.info(
                  "{} '{}' {} through the management API",
                  kind.path,
                  name,
                  ar.result() ? "created" : "updated");
              store
                  .get(kind, name)
                  .onComplete(
                      read -> {
                        if (read.failed() || read.result() == null) {
                          internal(
                              ctx,
                              read.failed()
                                  ? read.cause()
                                  : new IllegalStateException("vanished after write"));
                          return;
                        }
                        ctx.response().setStatusCode(ar.result() ? 201 : 200);
                        ctx.json(resource(ctx, kind, read.result()));
                      });
            });
  }

  private void delete(RoutingContext ctx) {
    Kind kind = kind(ctx);
    if (kind == null) {
      return;
    }
    String name = ctx.pathParam("name");
    store
        .delete(kind, name)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                fail(ctx, ar.cause(), "");
                return;
              }
              if (ar.result()) {
                LOG.info("{} '{}' deleted through the management API", kind.path, name);
              }
              // ARM: 200 when something was deleted, 204 when there was nothing to delete
              ctx.response().setStatusCode(ar.result() ? 200 : 204).end();
            });
  }

  // ------------------------------------------------------------------------------------------
  // helpers

  private JsonObject resource(RoutingContext ctx, Kind kind, NamespaceStore.StoredResource r) {
    JsonObject props = r.properties().copy().put("provisioningState", "Succeeded");
    props.remove("passwordHash"); // a credential: written, never read back
    return new JsonObject()
        .put("id", basePath(ctx) + "/" + kind.path + "/" + r.name())
        .put("name", r.name())
        .put("type", kind.armType)
        .put("properties", props)
        .put("systemData", systemData(r));
  }

  private static JsonObject systemData(NamespaceStore.StoredResource r) {
    return new JsonObject()
        .put("createdAt", r.createdAt())
        .put("lastModifiedAt", r.lastModifiedAt())
        .put(
            "createdByType",
            r.origin() == NamespaceStore.Origin.file ? "NamespaceFile" : "ManagementApi");
  }

  /** The namespace's own path as the request spelled it (ARM or short form). */
  private static String basePath(RoutingContext ctx) {
    String path = ctx.request().path();
    String marker = "/namespaces/" + ctx.pathParam("ns");
    return path.substring(0, path.indexOf(marker) + marker.length());
  }

  private Kind kind(RoutingContext ctx) {
    Kind kind = Kind.ofPath(ctx.pathParam("kind"));
    if (kind == null) {
      error(
          ctx,
          404,
          "NotFound",
          "no resource type '"
              + ctx.pathParam("kind")
              + "'; expected clients, "
              + "clientGroups, topicSpaces, permissionBindings, caCertificates or roleAssignments",
          null);
    }
    return kind;
  }

  private void fail(RoutingContext ctx, Throwable cause, String fieldPrefix) {
    if (cause instanceof ModelValidationException e) {
      error(ctx, 400, "InvalidRequest", fieldPrefix + e.getMessage(), fieldPrefix + e.field());
    } else if (cause instanceof NamespaceStore.ReferencedException e) {
      error(ctx, 409, "Conflict", "still in use: " + e.getMessage(), null);
    } else {
      internal(ctx, cause);
    }
  }

  private void internal(RoutingContext ctx, Throwable cause) {
    if (ManagementErrors.storeUnavailable(ctx, cause)) {
      // the database's own log line says once why it fails
      LOG.debug("management API {} {}: {}", ctx.request().method(), ctx.request().path(), cause);
      return;
    }
    LOG.warn(
        "management API {} {} failed: {}",
        ctx.request().method(),
        ctx.request().path(),
        cause.toString());
    error(ctx, 500, "InternalError", "the request could not be completed", null);
  }
}
