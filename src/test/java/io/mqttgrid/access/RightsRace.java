package io.mqttgrid.access;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.mqttgrid.auth.PasswordHashes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * MQTT connects racing management-API changes of a permission binding: the client {@value #USER}
 * connects (and, for a revoke, subscribes at once) while the binding that grants it a topic space
 * is created or deleted, the request sent, in turn, just after the connect started, just before it,
 * or as its CONNACK arrives. Then its rights must be those of the changed model: on the node that
 * made the change as soon as the change is answered (that node's model shows its own writes before
 * answering), on another node once that node has the change.
 */
final class RightsRace {

  static final String USER = "racer";
  private static final String PASSWORD = "racer-password";

  /**
   * How long another node may take to see a change, and a disconnect for a revoked right to arrive.
   */
  private static final Duration WITHIN = Duration.ofSeconds(3);

  private final HttpClient http = HttpClient.newHttpClient();
  private final ExecutorService connector = Executors.newSingleThreadExecutor();
  private final String managementBase;
  private final String token;
  private final String mqttHost;
  private final int mqttPort;
  private final boolean sameNode;

  /**
   * @param sameNode whether the client connects to the node whose management API makes the change;
   *     then the first SUBSCRIBE after the answer must see the change, otherwise one within {@link
   *     #WITHIN}
   */
  RightsRace(
      String managementHost,
      int managementPort,
      String token,
      String mqttHost,
      int mqttPort,
      boolean sameNode) {
    this.managementBase =
        "http://" + managementHost + ":" + managementPort + "/namespaces/mqttgrid";
    this.token = token;
    this.mqttHost = mqttHost;
    this.mqttPort = mqttPort;
    this.sameNode = sameNode;
  }

  /**
   * The namespace file: password authentication and the client {@value #USER}, which no binding
   * names yet.
   */
  static String namespaceYaml() {
    return """
        settings:
          clientAuthentication:
            passwordAuthentication: { enabled: true }
        clients:
          %s: { passwordHash: "%s" }
        """
        .formatted(USER, PasswordHashes.hash(PASSWORD.toCharArray(), 1));
  }

  void close() {
    connector.shutdownNow();
  }

  /**
   * A topic space and the binding that lets every client subscribe to it are created, the client
   * connecting meanwhile; then it must be granted a SUBSCRIBE. Both are deleted after, as a script
   * would.
   *
   * @return what went wrong in each try that failed
   */
  List<String> grant(String prefix, int tries) throws Exception {
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < tries; i++) {
      String space = prefix + "-grant-" + i;
      String filter = prefix + "/grant/" + i + "/#";
      expect(201, "PUT", "/topicSpaces/" + space, topicSpace(filter));
      Connection c = new Connection(prefix + "-grant-" + i);
      Future<?> connected =
          race(
              i,
              c,
              () -> null,
              () -> expect(201, "PUT", "/permissionBindings/" + space, binding(space)));
      connected.get(10, TimeUnit.SECONDS);
      try {
        Boolean first = c.subscribe(filter);
        if (!Boolean.TRUE.equals(first) && sameNode) {
          failures.add(
              "try "
                  + i
                  + ": first SUBSCRIBE after the 201 "
                  + (first == null ? "ended the connection" : "refused")
                  + "; "
                  + c.grantedWithin(filter, WITHIN));
        } else if (!Boolean.TRUE.equals(first)) {
          String later = c.grantedWithin(filter, WITHIN);
          if (!later.startsWith("granted")) {
            failures.add("try " + i + ": " + later);
          }
        }
      } finally {
        c.close();
        expect(200, "DELETE", "/permissionBindings/" + space, null);
        expect(200, "DELETE", "/topicSpaces/" + space, null);
      }
    }
    return failures;
  }

  /**
   * The binding of a topic space is deleted while the client connects and subscribes to the topic
   * space at once; then the client must not keep the subscription: a SUBSCRIBE granted before the
   * change ends the connection with 0x87, and one after the change is refused.
   *
   * @return what went wrong in each try that failed
   */
  List<String> revoke(String prefix, int tries) throws Exception {
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < tries; i++) {
      String space = prefix + "-revoke-" + i;
      String filter = prefix + "/revoke/" + i + "/#";
      expect(201, "PUT", "/topicSpaces/" + space, topicSpace(filter));
      expect(201, "PUT", "/permissionBindings/" + space, binding(space));
      Connection c = new Connection(prefix + "-revoke-" + i);
      Future<Boolean> subscribed =
          race(
              i,
              c,
              () -> c.subscribe(filter),
              () -> expect(200, "DELETE", "/permissionBindings/" + space, null));
      try {
        Boolean early = subscribed.get(10, TimeUnit.SECONDS);
        String problem = sameNode ? c.refusedAtOnce(filter) : c.refusedWithin(filter, WITHIN);
        if (problem == null && Boolean.TRUE.equals(early) && !c.endedNotAuthorizedWithin(WITHIN)) {
          problem =
              "a SUBSCRIBE granted during the change kept the connection open "
                  + WITHIN.toMillis()
                  + " ms";
        }
        if (problem != null) {
          failures.add("try " + i + ": " + problem);
        }
      } finally {
        c.close();
        expect(200, "DELETE", "/topicSpaces/" + space, null);
      }
    }
    return failures;
  }

  private interface Change {
    void make() throws Exception;
  }

  /**
   * Connects (then does {@code afterConnack}) on the connector thread and makes the change on this
   * one, in one of three orders chosen by the try's number; returns when the change is answered.
   */
  private <T> CompletableFuture<T> race(
      int attempt, Connection c, Supplier<T> afterConnack, Change change) throws Exception {
    CountDownLatch connack = new CountDownLatch(1);
    Supplier<T> client =
        () -> {
          c.connect();
          connack.countDown();
          return afterConnack.get();
        };
    CompletableFuture<T> done;
    switch (attempt % 3) {
      case 0 -> {
        done = CompletableFuture.supplyAsync(client, connector);
        change.make();
      }
      case 1 -> {
        change.make();
        done = CompletableFuture.supplyAsync(client, connector);
      }
      default -> {
        // the change is sent as the CONNACK arrives, while the client's next packet is on its way
        done = CompletableFuture.supplyAsync(client, connector);
        if (!connack.await(10, TimeUnit.SECONDS)) {
          throw new AssertionError("no CONNACK within 10 s");
        }
        change.make();
      }
    }
    return done;
  }

  private static String topicSpace(String filter) {
    return "{\"properties\": {\"topicTemplates\": [\"" + filter + "\"]}}";
  }

  private static String binding(String space) {
    return "{\"properties\": {\"clientGroupName\": \"$all\", \"topicSpaceName\": \""
        + space
        + "\", \"permission\": \"Subscriber\"}}";
  }

  private void expect(int status, String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(managementBase + path))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != status) {
      throw new AssertionError(method + " " + path + ": " + r.statusCode() + " " + r.body());
    }
  }

  /** One MQTT 5 connection of {@value #USER}, remembering why the server ended it. */
  private final class Connection {
    private final Mqtt5BlockingClient client;
    private final AtomicReference<Mqtt5DisconnectReasonCode> serverReason = new AtomicReference<>();

    Connection(String clientId) {
      client =
          MqttClient.builder()
              .useMqttVersion5()
              .identifier(clientId)
              .serverHost(mqttHost)
              .serverPort(mqttPort)
              .addDisconnectedListener(
                  ctx -> {
                    if (ctx.getCause() instanceof Mqtt5DisconnectException d) {
                      serverReason.set(d.getMqttMessage().getReasonCode());
                    }
                  })
              .buildBlocking();
    }

    void connect() {
      client
          .connectWith()
          .cleanStart(true)
          .simpleAuth()
          .username(USER)
          .password(PASSWORD.getBytes(StandardCharsets.UTF_8))
          .applySimpleAuth()
          .send();
    }

    /**
     * True when granted, false when refused with 0x87, null when the connection ended meanwhile.
     */
    Boolean subscribe(String filter) {
      try {
        // asynchronous with a bound: a SUBSCRIBE crossing the server's DISCONNECT may never
        // complete
        client
            .toAsync()
            .subscribeWith()
            .topicFilter(filter)
            .qos(MqttQos.AT_LEAST_ONCE)
            .send()
            .get(5, TimeUnit.SECONDS);
        return true;
      } catch (ExecutionException e) {
        if (e.getCause() instanceof Mqtt5SubAckException refused
            && refused
                .getMqttMessage()
                .getReasonCodes()
                .equals(List.of(Mqtt5SubAckReasonCode.NOT_AUTHORIZED))) {
          return false;
        }
        if (client.getState().isConnected()) {
          throw new AssertionError("SUBSCRIBE failed", e.getCause());
        }
        return null;
      } catch (TimeoutException e) {
        if (client.getState().isConnected()) {
          throw new AssertionError("no SUBACK within 5 s");
        }
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }

    /** How SUBSCRIBEs repeated for a while went: "granted after ..." or why not. */
    String grantedWithin(String filter, Duration within) throws InterruptedException {
      long start = System.nanoTime();
      int attempts = 0;
      while (System.nanoTime() - start < within.toNanos()) {
        Boolean granted = subscribe(filter);
        attempts++;
        if (granted == null) {
          return "the connection ended (" + serverReason.get() + ")";
        }
        if (granted) {
          return "granted after "
              + attempts
              + " SUBSCRIBEs, "
              + (System.nanoTime() - start) / 1_000_000
              + " ms";
        }
        Thread.sleep(50);
      }
      return "still refused after " + attempts + " SUBSCRIBEs in " + within.toMillis() + " ms";
    }

    /**
     * Null when a SUBSCRIBE now is refused or the connection ends with 0x87, else what happened.
     */
    String refusedAtOnce(String filter) {
      Boolean granted = client.getState().isConnected() ? subscribe(filter) : null;
      if (granted == null) {
        return endedNotAuthorized() ? null : "the connection ended with " + serverReason.get();
      }
      return granted ? "SUBSCRIBE after the answer to the change granted" : null;
    }

    /** As {@link #refusedAtOnce}, the SUBSCRIBE repeated while granted, for a while. */
    String refusedWithin(String filter, Duration within) throws InterruptedException {
      long start = System.nanoTime();
      while (true) {
        String problem = refusedAtOnce(filter);
        if (problem == null || System.nanoTime() - start > within.toNanos()) {
          return problem == null ? null : problem + " for " + within.toMillis() + " ms";
        }
        Thread.sleep(50);
      }
    }

    boolean endedNotAuthorizedWithin(Duration within) throws InterruptedException {
      long deadline = System.nanoTime() + within.toNanos();
      while (client.getState().isConnected() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      return endedNotAuthorized();
    }

    private boolean endedNotAuthorized() {
      if (client.getState().isConnected()) {
        return false;
      }
      // the disconnected listener may run a moment after the state changed
      long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
      while (serverReason.get() == null && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      return serverReason.get() == Mqtt5DisconnectReasonCode.NOT_AUTHORIZED;
    }

    void close() {
      if (client.getState().isConnected()) {
        try {
          client.disconnect();
        } catch (RuntimeException alreadyGone) {
          // ended meanwhile
        }
      }
    }
  }
}
