package io.mqttgrid.testing;

import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Vertx;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a node's Hazelcast stores run on, for the tests of a class: a Vert.x and a {@link
 * LocalMember} of a node id of its own, started before the class's tests and closed after them.
 * Register it on a static field:
 *
 * <pre>{@code @RegisterExtension static final LocalNode node = new LocalNode("route-test");}</pre>
 */
public final class LocalNode implements BeforeAllCallback, AfterAllCallback {

  private final String id;
  private Vertx vertx;
  private LocalMember member;

  /** A node whose id is {@code name} and a random suffix. */
  public LocalNode(String name) {
    this.id = name + "-" + UUID.randomUUID();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    vertx = Vertx.vertx();
    member = LocalMember.start(LocalMember.configOfNode(id));
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    Vertx started = vertx;
    Closeables.closeAll(
        member, started == null ? null : () -> started.close().await(10, TimeUnit.SECONDS));
    member = null;
    vertx = null;
  }

  /** The node id, the one its member's configuration was made with. */
  public String id() {
    return id;
  }

  public Vertx vertx() {
    return started(vertx);
  }

  public HazelcastInstance hazelcast() {
    return started(member).hazelcast();
  }

  private static <T> T started(T part) {
    if (part == null) {
      throw new IllegalStateException(
          "the node is not started: register it with @RegisterExtension on a static field");
    }
    return part;
  }
}
