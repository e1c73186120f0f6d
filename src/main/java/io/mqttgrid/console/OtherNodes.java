package io.mqttgrid.console;

import io.mqttgrid.cluster.ClusterMembership;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * How a node's console asks the other members about themselves: each answers on its own address of
 * the clustered event bus ({@link ConsoleRoutes} registers it), and a member that does not answer
 * within {@link #TIMEOUT_MILLIS} is left out rather than holding the page up.
 */
final class OtherNodes {

  static final long TIMEOUT_MILLIS = 3000;

  private final Supplier<List<ClusterMembership.MemberInfo>> members;

  OtherNodes(Supplier<List<ClusterMembership.MemberInfo>> members) {
    this.members = members;
  }

  /** Where a node answers other nodes' consoles on the clustered event bus. */
  static String address(String nodeId) {
    return "mqttgrid.console.node." + nodeId;
  }

  /** Asks {@code node} ({@code op} and arguments in {@code query}). */
  static Future<JsonObject> request(Vertx vertx, String node, JsonObject query) {
    return vertx
        .eventBus()
        .<JsonObject>request(
            address(node), query, new DeliveryOptions().setSendTimeout(TIMEOUT_MILLIS))
        .map(reply -> reply.body());
  }

  /**
   * Asks every other member ({@code op} and arguments in {@code query}); a silent one is left out.
   */
  Future<List<JsonObject>> ask(Vertx vertx, JsonObject query) {
    List<Future<JsonObject>> asked = new ArrayList<>();
    for (ClusterMembership.MemberInfo m : members.get()) {
      if (!m.local() && m.node() != null) {
        asked.add(request(vertx, m.node(), query));
      }
    }
    return Future.join(asked)
        .otherwiseEmpty()
        .map(
            x -> {
              List<JsonObject> answers = new ArrayList<>();
              for (Future<JsonObject> f : asked) {
                if (f.succeeded()) {
                  answers.add(f.result());
                }
              }
              return answers;
            });
  }
}
