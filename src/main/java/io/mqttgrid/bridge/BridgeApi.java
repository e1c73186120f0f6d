package io.mqttgrid.bridge;

import static io.mqttgrid.http.ManagementErrors.error;

import io.mqttgrid.http.ManagementApiVerticle;
import io.mqttgrid.http.ManagementErrors;
import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's dataflow endpoints and dataflows as resources of the management API, with the ARM
 * paths of IoT Operations ({@code
 * .../providers/Microsoft.IoTOperations/instances/{instance}/dataflowEndpoints/{name}} and {@code
 * .../instances/{instance}/dataflowProfiles/default/dataflows/{name}}; the instance is this
 * broker's namespace name) beside the namespace's, and the short {@code /instances/{instance}/...}.
 *
 * <p>What the API makes is kept cluster-wide (in the store {@link BridgeConfiguration#store}) and
 * applied on every node like a change of the bridge file, together with the file's resources: a
 * name the file holds is the file's, and cannot be changed or deleted here. A resource is checked
 * with the others before it is stored; a mistake is refused (400) naming the field under {@code
 * properties}.
 */
public final class BridgeApi implements ManagementApiVerticle.ResourceRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(BridgeApi.class);
  private static final String ARM_PREFIX =
      "/subscriptions/:subscription/resourceGroups/:resourceGroup/providers/Microsoft.IoTOperations/instances/:ns";
  private static final String SHORT_PREFIX = "/instances/:ns";
  private static final int MAX_BODY = 256 * 1024;

  /** The two kinds of resource: their key in the file and the store, path and ARM type. */
  private enum Kind {
    ENDPOINT(
        "dataflowEndpoints",
        "/dataflowEndpoints",
        "Microsoft.IoTOperations/instances/dataflowEndpoints"),
    DATAFLOW(
        "dataflows",
        "/dataflowProfiles/:profile/dataflows",
        "Microsoft.IoTOperations/instances/dataflowProfiles/dataflows");

    final String key;
    final String path;
    final String type;

    Kind(String key, String path, String type) {
      this.key = key;
      this.path = path;
      this.type = type;
    }
  }

  /** IoT Operations' default dataflow profile, the only one here. */
  private static final String PROFILE = "default";

  private final Bridges bridges;

  public BridgeApi(Bridges bridges) {
    this.bridges = bridges;
  }

  /**
   * Where the dataflows come from; the bridges make it when they start, after this API is built.
   */
  private BridgeConfiguration configuration() {
    return bridges.configuration();
  }

  /**
   * Adds the routes to {@code router}, each behind {@code authorize} (the management API's admin
   * check, which also answers 404 for an instance name other than the namespace's).
   */
  @Override
  public void mount(Router router, Handler<RoutingContext> authorize) {
    for (String prefix : List.of(ARM_PREFIX, SHORT_PREFIX)) {
      router.route(prefix + "/*").handler(authorize);
      router.route(prefix + "/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY));
      for (Kind kind : Kind.values()) {
        router.get(prefix + kind.path).handler(ctx -> list(ctx, kind));
        router.get(prefix + kind.path + "/:name").handler(ctx -> get(ctx, kind));
        router.put(prefix + kind.path + "/:name").handler(ctx -> put(ctx, kind));
        router.delete(prefix + kind.path + "/:name").handler(ctx -> delete(ctx, kind));
      }
    }
  }

  private boolean profileKnown(RoutingContext ctx, Kind kind) {
    if (kind == Kind.DATAFLOW && !PROFILE.equals(ctx.pathParam("profile"))) {
      error(
          ctx,
          404,
          "NotFound",
          "no dataflow profile '" + ctx.pathParam("profile") + "' (this broker has 'default')",
          null);
      return false;
    }
    return true;
  }

  private void list(RoutingContext ctx, Kind kind) {
    if (!profileKnown(ctx, kind)) {
      return;
    }
    JsonArray value = new JsonArray();
    resources(kind).forEach((name, r) -> value.add(resource(ctx, kind, name, r)));
    ctx.json(new JsonObject().put("value", value));
  }

  private void get(RoutingContext ctx, Kind kind) {
    if (!profileKnown(ctx, kind)) {
      return;
    }
    String name = ctx.pathParam("name");
    JsonObject r = resources(kind).get(name);
    if (r == null) {
      error(ctx, 404, "NotFound", kind.key + " '" + name + "' does not exist", null);
    } else {
      ctx.json(resource(ctx, kind, name, r));
    }
  }

  private void put(RoutingContext ctx, Kind kind) {
    if (!profileKnown(ctx, kind)) {
      return;
    }
    String name = ctx.pathParam("name");
    JsonObject body;
    try {
      body = ctx.body().buffer() == null ? null : ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      body = null;
    }
    if (body == null || !(body.getValue("properties") instanceof JsonObject properties)) {
      error(ctx, 400, "InvalidRequest", "properties: required (an object)", "properties");
      return;
    }
    if (inFile(kind, name)) {
      error(
          ctx,
          409,
          "Conflict",
          kind.key + " '" + name + "' is defined in bridge.file: change it there",
          null);
      return;
    }
    String key = kind.key + "/" + name;
    Map<String, String> now = configuration().apiEntries();
    boolean created = !now.containsKey(key);
    // the new resource first among the API's: its index in the combined document is then the
    // number of the file's resources of its kind, which the message names
    Map<String, String> candidate = new LinkedHashMap<>();
    candidate.put(key, properties.encode());
    now.forEach(candidate::putIfAbsent);
    String at = kind.key + "[" + configuration().fileResources(kind.key).size() + "]";
    configuration()
        .check(candidate)
        .compose(
            parsed ->
                configuration()
                    .store()
                    .put(key, properties.encode())
                    .compose(x -> configuration().applyOwnWrite(candidate, parsed)))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                refused(ctx, ar.cause(), at, 400, "InvalidRequest");
                return;
              }
              LOG.info(
                  "bridge: {} '{}' {} through the management API",
                  kind.key,
                  name,
                  created ? "created" : "updated");
              ctx.response().setStatusCode(created ? 201 : 200);
              ctx.json(resource(ctx, kind, name, new JsonObject().put("properties", properties)));
            });
  }

  private void delete(RoutingContext ctx, Kind kind) {
    if (!profileKnown(ctx, kind)) {
      return;
    }
    String name = ctx.pathParam("name");
    if (inFile(kind, name)) {
      error(
          ctx,
          409,
          "Conflict",
          kind.key + " '" + name + "' is defined in bridge.file: remove it there",
          null);
      return;
    }
    String key = kind.key + "/" + name;
    Map<String, String> candidate = new LinkedHashMap<>(configuration().apiEntries());
    if (candidate.remove(key) == null) {
      ctx.response().setStatusCode(204).end(); // ARM: nothing to delete
      return;
    }
    configuration()
        .check(candidate)
        .compose(
            parsed ->
                configuration()
                    .store()
                    .remove(key)
                    .compose(x -> configuration().applyOwnWrite(candidate, parsed)))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                // what no longer parses without it is a dataflow that uses the endpoint
                refused(ctx, ar.cause(), null, 409, "Conflict");
                return;
              }
              LOG.info("bridge: {} '{}' deleted through the management API", kind.key, name);
              ctx.response().setStatusCode(200).end();
            });
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> properties(Object fileResource) {
    return (Map<String, Object>) fileResource;
  }

  private boolean inFile(Kind kind, String name) {
    return configuration().fileResources(kind.key).containsKey(name);
  }

  /**
   * The resources of {@code kind}: the file's, then the API's, each as {@code {"properties": ...,
   * "origin": "file"|"api"}}.
   */
  private Map<String, JsonObject> resources(Kind kind) {
    Map<String, JsonObject> out = new LinkedHashMap<>();
    configuration()
        .fileResources(kind.key)
        .forEach(
            (name, r) ->
                out.put(
                    name,
                    new JsonObject()
                        .put("properties", new JsonObject(properties(r)))
                        .put("origin", "file")));
    configuration()
        .apiEntries()
        .forEach(
            (key, json) -> {
              if (key.startsWith(kind.key + "/")) {
                out.putIfAbsent(
                    key.substring(kind.key.length() + 1),
                    new JsonObject().put("properties", new JsonObject(json)).put("origin", "api"));
              }
            });
    return out;
  }

  private static JsonObject resource(RoutingContext ctx, Kind kind, String name, JsonObject r) {
    String path = ctx.request().path();
    String id = path.endsWith("/" + name) ? path : path + "/" + name;
    JsonObject out =
        new JsonObject()
            .put("id", id)
            .put("name", name)
            .put("type", kind.type)
            .put("properties", r.getJsonObject("properties"));
    if (r.getString("origin") != null) {
      out.put("origin", r.getString("origin"));
    }
    return out;
  }

  /**
   * A refused change: the field under {@code properties} when the mistake is in the resource itself
   * (its path in the combined document starts with {@code at}), else the message as it is.
   */
  private static void refused(
      RoutingContext ctx, Throwable cause, String at, int status, String code) {
    if (ManagementErrors.storeUnavailable(ctx, cause)) {
      return;
    }
    if (!(cause instanceof BridgeFile.BridgeConfigException)) {
      error(ctx, 500, "InternalError", "the change could not be stored: " + cause, null);
      return;
    }
    String message = cause.getMessage();
    if (at != null && message.startsWith(at)) {
      message = "properties" + message.substring(at.length());
    }
    int colon = message.indexOf(": ");
    String target =
        colon > 0 && message.startsWith("properties") ? message.substring(0, colon) : null;
    error(ctx, status, code, message, target);
  }
}
