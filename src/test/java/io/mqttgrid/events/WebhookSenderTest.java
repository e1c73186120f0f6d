package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.cloudevents.core.builder.CloudEventBuilder;
import io.mqttgrid.access.RoutingSettings;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WebhookSenderTest {

  private static final long TIMEOUT_MS = 2000;

  /**
   * The timeout of the test whose answers must come in time: a starved machine (load 14 to 25 on
   * two cores) failed it with 2 s while the receiver's answer was on its way; short enough to wait
   * past.
   */
  private static final long AMPLE_TIMEOUT_MS = 10_000;

  private Vertx vertx;
  private WebhookSender sender;
  private final AtomicInteger connections = new AtomicInteger();
  private final CompletableFuture<Void> connectionClosed = new CompletableFuture<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    sender = new WebhookSender(vertx, TIMEOUT_MS, "", 4);
  }

  @AfterEach
  void stop() throws Exception {
    sender.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void anAnswerStillTricklingAtTheTimeoutFailsThePostAndFreesItsConnection() throws Exception {
    // the status and headers at once, then a byte of the body every 100 ms: each byte restarts an
    // idle timeout, so only a deadline on the whole exchange ends it
    int port =
        receiver(
            sock -> {
              AtomicBoolean answered = new AtomicBoolean();
              sock.handler(
                  request -> {
                    if (answered.getAndSet(true)) {
                      return;
                    }
                    sock.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
                    long trickle = vertx.setPeriodic(100, id -> sock.write("x"));
                    sock.closeHandler(
                        v -> {
                          vertx.cancelTimer(trickle);
                          connectionClosed.complete(null);
                        });
                  });
            });

    long start = System.nanoTime();
    Throwable failure = failureOf(() -> sender.post(webhook(port), List.of(event())));

    assertThat(failure).isInstanceOf(TimeoutException.class);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(TIMEOUT_MS);
    // the request was reset: its connection is closed rather than held by the trickle (100 s)
    connectionClosed.get(5, TimeUnit.SECONDS);
  }

  @Test
  void answersWithinTheTimeoutKeepTheirConnection() throws Exception {
    int port =
        receiver(
            sock -> {
              // a request's head may come in two reads: answered once per request line seen
              StringBuilder received = new StringBuilder();
              AtomicInteger answered = new AtomicInteger();
              sock.handler(
                  data -> {
                    received.append(data);
                    int requests = received.toString().split("POST ", -1).length - 1;
                    while (answered.get() < requests) {
                      answered.incrementAndGet();
                      sock.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                    }
                  });
            });
    RoutingSettings.Destination to = webhook(port);
    WebhookSender patient = new WebhookSender(vertx, AMPLE_TIMEOUT_MS, "", 4);
    try {
      assertThat(resultOf(() -> patient.post(to, List.of(event())))).isEqualTo(200);
      // past the first request's deadline: its timer was cancelled, not left to reset anything
      Thread.sleep(AMPLE_TIMEOUT_MS + 500);
      assertThat(resultOf(() -> patient.post(to, List.of(event())))).isEqualTo(200);
      assertThat(connections.get()).isEqualTo(1);
      assertThat(connectionClosed).isNotDone();
    } finally {
      patient.close();
    }
  }

  @Test
  void anEndpointIsTakenApartAsVertxWould() {
    assertThat(WebhookTarget.of("https://receiver.example:8443/events/in?code=a%20b"))
        .isEqualTo(new WebhookTarget("receiver.example", 8443, true, "/events/in?code=a%20b"));
    assertThat(WebhookTarget.of("http://receiver.example/events"))
        .isEqualTo(new WebhookTarget("receiver.example", 80, false, "/events"));
    assertThat(WebhookTarget.of("https://receiver.example"))
        .isEqualTo(new WebhookTarget("receiver.example", 443, true, "/"));
  }

  private int receiver(io.vertx.core.Handler<io.vertx.core.net.NetSocket> handler)
      throws Exception {
    NetServer server =
        vertx
            .createNetServer()
            .connectHandler(
                sock -> {
                  connections.incrementAndGet();
                  sock.closeHandler(v -> connectionClosed.complete(null));
                  handler.handle(sock);
                });
    return server
        .listen(0, "127.0.0.1")
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS)
        .actualPort();
  }

  private static RoutingSettings.Destination webhook(int port) {
    return new RoutingSettings.Destination("http://127.0.0.1:" + port + "/events", 10);
  }

  private static RoutedEvent event() {
    return new RoutedEvent(
        CloudEventBuilder.v1()
            .withId("1")
            .withSource(URI.create("/test"))
            .withType("test")
            .withData("application/json", Buffer.buffer("{}").getBytes())
            .build(),
        false,
        null);
  }

  /** Runs {@code post} on a context, as the routing does, and waits for its outcome. */
  private <T> CompletableFuture<T> onContext(Supplier<Future<T>> post) {
    Context context = vertx.getOrCreateContext();
    Promise<T> outcome = Promise.promise();
    context.runOnContext(v -> post.get().onComplete(outcome));
    return outcome.future().toCompletionStage().toCompletableFuture();
  }

  private <T> T resultOf(Supplier<Future<T>> post) throws Exception {
    // longer than any timeout of these tests: a late answer shows as the post's own outcome
    return onContext(post).get(AMPLE_TIMEOUT_MS + 10_000, TimeUnit.MILLISECONDS);
  }

  private Throwable failureOf(Supplier<Future<Integer>> post) throws Exception {
    try {
      Integer status = onContext(post).get(10, TimeUnit.SECONDS);
      throw new AssertionError("answered " + status);
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }
}
