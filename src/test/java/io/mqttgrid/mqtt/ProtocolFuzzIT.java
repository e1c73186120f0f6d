package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.mqtt.ProtocolFuzzInputs.Framing;
import io.mqttgrid.mqtt.ProtocolFuzzInputs.Input;
import io.mqttgrid.mqtt.ProtocolFuzzInputs.Kind;
import io.mqttgrid.testing.LogCapture;
import io.mqttgrid.testing.PrometheusScrape;
import io.mqttgrid.testing.TestBroker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hardening (issue 10): batches of mutated CONNECT/PUBLISH/SUBSCRIBE/AUTH packets, packets before
 * CONNECT, second CONNECTs and random bytes, over TCP and over WebSocket, must leave the node as it
 * was. After each batch the node is ready, an MQTT 5 publish/subscribe round trip at QoS 1 works,
 * and the connection and session gauges are back at their baseline (no ghost session stays online).
 * Over the whole run no log event has level ERROR, no WARN or ERROR carries a stack trace, the log
 * has at most {@value #MAX_LOG_LINES_PER_CONNECTION} lines per connection on average, and the heap
 * after GC is within {@value #MAX_HEAP_GROWTH_MIB} MiB of its start.
 *
 * <p>The inputs are a function of the seed (printed; {@code -Dfuzz.seed=...}) and the batch number,
 * so a failure reproduces with the same seed and {@code -Dfuzz.rounds=...}; {@code
 * -Dfuzz.kinds=SECOND_CONNECT,...} keeps only the inputs of those kinds (the same bytes), e.g. to
 * check one fix. Connections of one batch run concurrently; an ERROR or a ghost session is pinned
 * on an input by replaying the batch's candidate inputs one at a time.
 *
 * <pre>
 * mvn -B verify -DskipClusterITs=true -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=ProtocolFuzzIT -Dfuzz.seed=20261206 -Dfuzz.rounds=20 -Dfuzz.kinds=SECOND_CONNECT
 * </pre>
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ProtocolFuzzIT {

  private static final long SEED = Long.getLong("fuzz.seed", 20261206L);
  private static final int ROUNDS = Integer.getInteger("fuzz.rounds", 20);
  private static final int CONNECTIONS_PER_ROUND = Integer.getInteger("fuzz.connections", 50);

  /**
   * Only these kinds (comma-separated names of {@link Kind}), e.g. to check one fix; the inputs of
   * those kinds are the same bytes as in a full run, the others are left out.
   */
  private static final String KINDS = System.getProperty("fuzz.kinds", "").trim();

  private static final List<String> ONLY_KINDS =
      KINDS.isEmpty() ? List.of() : List.of(KINDS.split("\\s*,\\s*"));
  private static final int CONCURRENCY = 8;

  /** How long a connection reads after its last write, unless the broker closes it first. */
  private static final int READ_WINDOW_MS = 150;

  /** How long a connection waits for an answer (CONNACK) before its next write. */
  private static final int BETWEEN_WRITES_MS = 100;

  /**
   * How long the gauges may take to come back after a batch: closes are handled in milliseconds.
   */
  private static final Duration SETTLE = Duration.ofSeconds(5);

  static final int MAX_LOG_LINES_PER_CONNECTION = 2;
  static final int MAX_HEAP_GROWTH_MIB = 64;

  /**
   * Replays to attribute a log event or a ghost session to an input: bounded, they only run on
   * failure.
   */
  private static final int MAX_STACK_TRACE_ATTRIBUTIONS = 10;

  private static final int MAX_MESSAGE_ATTRIBUTIONS = 6;
  private static final int MAX_GHOST_ATTRIBUTIONS = 3;
  private static final int EVENT_CANDIDATES = 16;

  private static TestBroker broker;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * A node per test: what one run leaves behind (a ghost session) must not count against the other.
   */
  @BeforeEach
  void start() {
    broker = TestBroker.start();
  }

  @AfterEach
  void stop() {
    broker.close();
  }

  @Test
  void mutatedPacketsOverTcpLeaveTheNodeHealthy() throws Exception {
    new FuzzRun("tcp", false, ROUNDS, CONNECTIONS_PER_ROUND).run();
  }

  /**
   * The same inputs framed in binary WebSocket frames (whole, split over frames, fragmented), plus
   * text frames, other paths and subprotocols, bad upgrades and frames no client may send. What the
   * broker answers to those is not asserted, only that they leave the node as it was.
   */
  @Test
  void mutatedPacketsOverWebSocketLeaveTheNodeHealthy() throws Exception {
    new FuzzRun("ws", true, Math.max(1, ROUNDS / 2), Math.max(1, CONNECTIONS_PER_ROUND * 4 / 5))
        .run();
  }

  // ------------------------------------------------------------------------------------------ one
  // run

  /** What one connection saw. */
  record Outcome(
      long startMs,
      long endMs,
      boolean connackOk,
      boolean closedByBroker,
      int bytesBack,
      int upgradeStatus,
      String problem) {}

  /** The gauges that must come back to where they were: connections, sessions online, sessions. */
  record Gauges(long connections, long online, long sessions) {
    @Override
    public String toString() {
      return "mqtt_connections "
          + connections
          + ", mqttgrid_sessions_online "
          + online
          + ", mqttgrid_sessions "
          + sessions;
    }
  }

  private static final class FuzzRun {
    final String name;
    final boolean websocket;
    final int rounds;
    final int perRound;
    final ProtocolFuzzInputs generator;
    final Failures failures = new Failures();
    final LogCapture log = new LogCapture();
    final Map<String, Integer> badEventCounts = new LinkedHashMap<>();
    final Map<String, String> badEventReports = new LinkedHashMap<>();
    final Map<String, Integer> lineCounts = new TreeMap<>();
    int stackTraceAttributions;
    int messageAttributions;
    int ghostAttributions;
    int connections;
    int logLines;
    Gauges baseline;

    /**
     * Sessions that may outlive their connection: a CONNECT other than ours was accepted (e.g.
     * cleanStart=0).
     */
    long persistentAllowance;

    FuzzRun(String name, boolean websocket, int rounds, int perRound) {
      this.name = name;
      this.websocket = websocket;
      this.rounds = rounds;
      this.perRound = perRound;
      this.generator = new ProtocolFuzzInputs(SEED, "fz-" + name);
    }

    void run() throws Exception {
      System.out.printf(
          "ProtocolFuzzIT %s: seed %d (-Dfuzz.seed), %d rounds (-Dfuzz.rounds) x %d connections%s%n",
          name,
          SEED,
          rounds,
          perRound,
          KINDS.isBlank() ? "" : ", only " + KINDS + " (-Dfuzz.kinds)");
      long started = System.nanoTime();
      roundTrip("warm-up");
      baseline =
          awaitGauges(g -> g.connections() == 0 && g.online() == 0)
              .orElseGet(ProtocolFuzzIT::gauges);
      long heapAtStart = usedHeapAfterGc();
      ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY);
      log.attach();
      try {
        for (int round = 0; round < rounds; round++) {
          if (!round(pool, round)) {
            break;
          }
        }
      } finally {
        log.detach();
        pool.shutdownNow();
      }
      checkLogVolume();
      checkHeap(heapAtStart);
      System.out.printf(
          "ProtocolFuzzIT %s: %d connections in %d ms, %d log lines, %d failure kinds%n",
          name, connections, (System.nanoTime() - started) / 1_000_000, logLines, failures.size());
      if (!failures.isEmpty()) {
        fail(
            "protocol fuzzing ("
                + name
                + ", seed "
                + SEED
                + ", rerun with -Dfuzz.seed="
                + SEED
                + " -Dfuzz.rounds="
                + ROUNDS
                + (KINDS.isBlank() ? "" : " -Dfuzz.kinds=" + KINDS)
                + ") found:\n"
                + failures);
      }
    }

    /**
     * One batch and the checks after it; false when the node is too broken for more batches to mean
     * anything.
     */
    boolean round(ExecutorService pool, int round) throws Exception {
      long t0 = System.nanoTime();
      List<Input> inputs =
          generator.batch(round, perRound, websocket).stream()
              .filter(in -> ONLY_KINDS.isEmpty() || ONLY_KINDS.contains(in.kind().name()))
              .toList();
      List<Outcome> outcomes = runAll(pool, inputs);
      connections += inputs.size() + 2; // and the round trip's two clients
      for (int i = 0; i < inputs.size(); i++) {
        Input in = inputs.get(i);
        Outcome o = outcomes.get(i);
        // a session may outlive the connection only if the broker accepted a CONNECT other than our
        // clean one;
        // a connection left open without an answer may have been accepted after the read window
        if (!in.cleanFirstConnect()
            && (o.connackOk() || !o.closedByBroker() && o.bytesBack() == 0)) {
          persistentAllowance++;
        }
        if (o.problem() != null) {
          failures.add(
              "a connection failed on the client side", in.describe() + ": " + o.problem());
        }
        if (websocket
            && o.upgradeStatus() != 101
            && in.kind() != Kind.WS_WRONG_PATH
            && in.kind() != Kind.WS_WRONG_SUBPROTOCOL
            && in.kind() != Kind.WS_BAD_HANDSHAKE
            && o.problem() == null) {
          failures.add(
              "a correct WebSocket upgrade to /mqtt with subprotocol mqtt was not accepted",
              in.describe() + ": HTTP status " + o.upgradeStatus());
        }
      }

      String gaugeState = checkGauges(round, inputs, outcomes);
      List<ILoggingEvent> events = log.drain();
      int badEvents = checkLogEvents(events, inputs, outcomes);

      int ready = readiness();
      if (ready != 200) {
        failures.add(
            "GET /health/ready did not answer 200", "after batch b" + round + ": " + ready);
      }
      String roundTrip = roundTrip("after-" + round);
      if (roundTrip != null) {
        failures.add(
            "the MQTT 5 QoS 1 round trip failed", "after batch b" + round + ": " + roundTrip);
      }
      Map<Kind, Integer> kinds = new EnumMap<>(Kind.class);
      inputs.forEach(in -> kinds.merge(in.kind(), 1, Integer::sum));
      long closed = outcomes.stream().filter(Outcome::closedByBroker).count();
      long accepted = outcomes.stream().filter(Outcome::connackOk).count();
      String upgrades =
          websocket
              ? ", upgrade answers "
                  + outcomes.stream()
                      .collect(
                          Collectors.groupingBy(
                              Outcome::upgradeStatus, TreeMap::new, Collectors.counting()))
              : "";
      System.out.printf(
          "ProtocolFuzzIT %s batch b%d (%d of %d): %d inputs %s, %d closed by the broker, %d CONNACK 0, "
              + "%d log lines (%d bad), ready %d, round trip %s, gauges %s%s, %d ms%n",
          name,
          round,
          round + 1,
          rounds,
          inputs.size(),
          kinds,
          closed,
          accepted,
          events.size(),
          badEvents,
          ready,
          roundTrip == null ? "ok" : "FAILED",
          gaugeState,
          upgrades,
          (System.nanoTime() - t0) / 1_000_000);
      return ready == 200 && roundTrip == null;
    }

    List<Outcome> runAll(ExecutorService pool, List<Input> inputs) throws Exception {
      List<Callable<Outcome>> tasks = new ArrayList<>();
      for (Input in : inputs) {
        tasks.add(() -> runOne(in));
      }
      List<Outcome> outcomes = new ArrayList<>();
      for (Future<Outcome> f : pool.invokeAll(tasks, 2, TimeUnit.MINUTES)) {
        outcomes.add(f.get());
      }
      return outcomes;
    }

    // ----------------------------------------------------------------------------------------
    // gauges

    String checkGauges(int round, List<Input> inputs, List<Outcome> outcomes) throws Exception {
      long allowedSessions = baseline.sessions() + persistentAllowance;
      Optional<Gauges> settled =
          awaitGauges(
              g ->
                  g.connections() == baseline.connections()
                      && g.online() == baseline.online()
                      && g.sessions() <= allowedSessions);
      if (settled.isPresent()) {
        return "ok";
      }
      Gauges now = gauges();
      String culprit = attributeGhost(inputs, outcomes);
      failures.add(
          "connections or sessions not back to the baseline (ghost sessions)",
          "after batch b"
              + round
              + ": expected "
              + baseline
              + " (at most "
              + allowedSessions
              + " sessions: "
              + persistentAllowance
              + " accepted CONNECTs kept theirs), still "
              + now
              + " after "
              + SETTLE.toSeconds()
              + " s. "
              + culprit);
      // the next batches are measured from here, so that each leak is reported where it happens
      baseline = gauges();
      persistentAllowance = 0;
      return "LEAKED";
    }

    /**
     * Replays the inputs that got a CONNACK 0, one at a time, until one leaves a connection or a
     * session behind.
     */
    String attributeGhost(List<Input> inputs, List<Outcome> outcomes) throws Exception {
      if (ghostAttributions >= MAX_GHOST_ATTRIBUTIONS) {
        return "(not attributed: attribution limit reached)";
      }
      ghostAttributions++;
      for (int i = 0; i < inputs.size(); i++) {
        if (!outcomes.get(i).connackOk()) {
          continue;
        }
        Input in = inputs.get(i);
        Gauges before = gauges();
        runOne(in);
        Optional<Gauges> back =
            awaitGauges(
                g ->
                    g.connections() <= before.connections()
                        && g.online() <= before.online()
                        && (g.sessions() <= before.sessions() || !in.cleanFirstConnect()),
                Duration.ofSeconds(2));
        if (back.isEmpty()) {
          return "Replayed alone, this input leaves "
              + gauges()
              + " (before: "
              + before
              + "): "
              + in.describe();
        }
      }
      return "(no single input of the batch reproduced it alone)";
    }

    // ---------------------------------------------------------------------------------------- log
    // events

    /**
     * Records ERROR events and WARN/ERROR events with a stack trace; returns how many there were.
     */
    int checkLogEvents(List<ILoggingEvent> events, List<Input> inputs, List<Outcome> outcomes)
        throws Exception {
      int bad = 0;
      Map<String, ILoggingEvent> firstOfNewSignatures = new LinkedHashMap<>();
      for (ILoggingEvent e : events) {
        logLines++;
        lineCounts.merge(
            e.getLevel() + " " + e.getLoggerName() + ": " + abbreviate(e.getMessage(), 90),
            1,
            Integer::sum);
        boolean error = e.getLevel().isGreaterOrEqual(Level.ERROR);
        boolean stackTrace =
            e.getLevel().isGreaterOrEqual(Level.WARN) && e.getThrowableProxy() != null;
        if (!error && !stackTrace) {
          continue;
        }
        bad++;
        String signature = signature(e);
        if (badEventCounts.merge(signature, 1, Integer::sum) == 1) {
          firstOfNewSignatures.put(signature, e);
        }
      }
      // replays are bounded: stack traces first
      List<Map.Entry<String, ILoggingEvent>> toAttribute =
          new ArrayList<>(firstOfNewSignatures.entrySet());
      toAttribute.sort(Comparator.comparing(en -> en.getValue().getThrowableProxy() == null));
      for (Map.Entry<String, ILoggingEvent> en : toAttribute) {
        badEventReports.put(
            en.getKey(),
            describe(en.getValue())
                + "\n      caused by: "
                + attributeEvent(en.getValue(), en.getKey(), inputs, outcomes));
      }
      return bad;
    }

    /**
     * The input that causes events like {@code e}: the inputs whose connection was open around the
     * event's time first, each replayed alone until one logs an event of the same signature.
     */
    String attributeEvent(
        ILoggingEvent e, String signature, List<Input> inputs, List<Outcome> outcomes)
        throws Exception {
      if (e.getThrowableProxy() != null
          ? stackTraceAttributions++ >= MAX_STACK_TRACE_ATTRIBUTIONS
          : messageAttributions++ >= MAX_MESSAGE_ATTRIBUTIONS) {
        return "(not attributed: attribution limit reached)";
      }
      long at = e.getTimeStamp();
      List<Integer> candidates = new ArrayList<>();
      for (int i = 0; i < inputs.size(); i++) {
        candidates.add(i);
      }
      candidates.sort(Comparator.comparingLong(i -> distance(at, outcomes.get(i))));
      List<String> tried = new ArrayList<>();
      try {
        for (int i : candidates.subList(0, Math.min(EVENT_CANDIDATES, candidates.size()))) {
          Input in = inputs.get(i);
          log.drain();
          runOne(in);
          Thread.sleep(50); // vertx-mqtt logs while it handles the bytes, before or as it closes
          for (ILoggingEvent replayed : log.drain()) {
            if (signature(replayed).equals(signature)) {
              return in.describe();
            }
          }
          tried.add(in.id() + " " + in.kind());
        }
      } finally {
        // a replayed input that leaves a ghost session behind did so in the batch too, where the
        // gauge check
        // (which runs before this) reported it; the next batch is measured from what the replays
        // left
        if (awaitGauges(
                g -> g.connections() == baseline.connections() && g.online() == baseline.online(),
                Duration.ofSeconds(1))
            .isEmpty()) {
          baseline = gauges();
        }
        log.drain();
      }
      return "(not reproduced by replaying alone the inputs open around it: " + tried + ")";
    }

    void checkLogVolume() {
      if (logLines > (long) MAX_LOG_LINES_PER_CONNECTION * connections) {
        String top =
            lineCounts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(6)
                .map(en -> en.getValue() + " x " + en.getKey())
                .collect(Collectors.joining("\n      "));
        failures.add(
            "more than "
                + MAX_LOG_LINES_PER_CONNECTION
                + " log lines (INFO and above) per connection",
            logLines + " lines for " + connections + " connections; most frequent:\n      " + top);
      }
      badEventReports.forEach(
          (signature, report) -> {
            String kind =
                signature.startsWith("ERROR")
                    ? "log events at level ERROR"
                    : "WARN log events with a stack trace";
            failures.add(kind, badEventCounts.get(signature) + " x " + report, 30);
          });
    }

    void checkHeap(long heapAtStart) throws InterruptedException {
      long limit = heapAtStart + MAX_HEAP_GROWTH_MIB * 1024L * 1024L;
      long used = usedHeapAfterGc();
      for (int attempt = 0; attempt < 3 && used > limit; attempt++) {
        Thread.sleep(500);
        used = usedHeapAfterGc();
      }
      if (used > limit) {
        failures.add(
            "heap after GC grew by more than " + MAX_HEAP_GROWTH_MIB + " MiB",
            "from " + heapAtStart / 1024 / 1024 + " MiB to " + used / 1024 / 1024 + " MiB");
      }
    }

    // ----------------------------------------------------------------------------------------
    // round trip

    /**
     * A fresh MQTT 5 subscriber (over WebSocket in the WebSocket run) and publisher; null when it
     * works.
     */
    String roundTrip(String tag) {
      String topic = "fuzz/probe/" + name + "/" + tag;
      byte[] payload = ("probe " + tag).getBytes(StandardCharsets.UTF_8);
      Mqtt5BlockingClient subscriber =
          websocket
              ? MqttClient.builder()
                  .useMqttVersion5()
                  .identifier("probe-sub-" + name + "-" + tag)
                  .serverHost("127.0.0.1")
                  .serverPort(broker.websocketPort())
                  .webSocketConfig()
                  .serverPath("mqtt")
                  .applyWebSocketConfig()
                  .buildBlocking()
              : broker.v5("probe-sub-" + name + "-" + tag);
      Mqtt5BlockingClient publisher = broker.v5("probe-pub-" + name + "-" + tag);
      try {
        subscriber.connect();
        try (Mqtt5BlockingClient.Mqtt5Publishes received =
            subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
          subscriber.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
          publisher.connect();
          var ack =
              publisher
                  .publishWith()
                  .topic(topic)
                  .qos(MqttQos.AT_LEAST_ONCE)
                  .payload(payload)
                  .send();
          if (ack.getError().isPresent()) {
            return "publish failed: " + ack.getError().get();
          }
          Optional<Mqtt5Publish> m = received.receive(10, TimeUnit.SECONDS);
          if (m.isEmpty()) {
            return "the subscriber received nothing within 10 s";
          }
          if (!Arrays.equals(m.get().getPayloadAsBytes(), payload)
              || m.get().getQos() != MqttQos.AT_LEAST_ONCE) {
            return "the subscriber received " + m.get();
          }
          return null;
        }
      } catch (Exception e) {
        return e.toString();
      } finally {
        disconnectQuietly(subscriber);
        disconnectQuietly(publisher);
      }
    }
  }

  private static void disconnectQuietly(Mqtt5BlockingClient client) {
    try {
      if (client.getState().isConnected()) {
        client.disconnect();
      }
    } catch (RuntimeException e) {
      // the failure is reported by the caller
    }
  }

  private static long distance(long at, Outcome o) {
    return at < o.startMs() ? o.startMs() - at : at > o.endMs() ? at - o.endMs() : 0;
  }

  /**
   * What tells one problem from another: level, logger, and the exception with the method that
   * threw it, or the message with its numbers left out (vertx-mqtt logs "Unhandled exception" for
   * quite different mistakes).
   */
  private static String signature(ILoggingEvent e) {
    IThrowableProxy t = e.getThrowableProxy();
    String what;
    if (t != null) {
      StackTraceElementProxy[] frames = t.getStackTraceElementProxyArray();
      what =
          t.getClassName()
              + (frames.length == 0
                  ? ""
                  : " at "
                      + frames[0].getStackTraceElement().getClassName()
                      + "."
                      + frames[0].getStackTraceElement().getMethodName());
    } else {
      what = String.valueOf(e.getMessage()).replaceAll("[0-9]+", "#");
    }
    return e.getLevel() + " " + e.getLoggerName() + " " + what;
  }

  private static String describe(ILoggingEvent e) {
    StringBuilder sb =
        new StringBuilder()
            .append(e.getLevel())
            .append(' ')
            .append(e.getLoggerName())
            .append(" [")
            .append(e.getThreadName())
            .append("]: ")
            .append(abbreviate(e.getFormattedMessage(), 200));
    for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
      sb.append("\n      ")
          .append(t == e.getThrowableProxy() ? "" : "caused by ")
          .append(t.getClassName())
          .append(": ")
          .append(abbreviate(String.valueOf(t.getMessage()), 160));
      StackTraceElementProxy[] frames = t.getStackTraceElementProxyArray();
      if (frames.length > 0) {
        sb.append(" at ").append(frames[0].getStackTraceElement());
      }
    }
    return sb.toString();
  }

  private static String abbreviate(String s, int max) {
    if (s == null) {
      return "null";
    }
    String one = s.replace("\n", "\\n");
    return one.length() <= max ? one : one.substring(0, max) + "...";
  }

  // ------------------------------------------------------------------------------------------ one
  // connection

  /**
   * Opens a connection (TCP, or WebSocket with a hand-made upgrade), sends the input, reads what
   * comes back.
   */
  static Outcome runOne(Input in) {
    long start = System.currentTimeMillis();
    int port = in.websocket() ? broker.websocketPort() : broker.mqttPort();
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      try {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      } catch (IOException e) {
        return new Outcome(
            start, System.currentTimeMillis(), false, false, 0, 0, "cannot connect: " + e);
      }
      InputStream is = socket.getInputStream();
      OutputStream os = socket.getOutputStream();
      Reply reply = new Reply();
      int status = 0;
      if (in.websocket()) {
        String request =
            in.wsRequest() != null
                ? in.wsRequest()
                : upgradeRequest(in.wsPath(), in.wsSubprotocol(), port);
        if (!writeQuietly(os, request.getBytes(StandardCharsets.UTF_8))) {
          return reply.outcome(start, 0);
        }
        // a malformed upgrade may get no answer at all: wait less for one
        boolean wellFormed =
            in.wsRequest() == null
                && in.kind() != Kind.WS_WRONG_PATH
                && in.kind() != Kind.WS_WRONG_SUBPROTOCOL;
        status = readUpgradeResponse(socket, is, reply, wellFormed ? 5_000 : 1_000);
      }
      List<byte[]> writes = in.writes();
      for (int i = 0; i < writes.size() && !reply.closed; i++) {
        if (i > 0) {
          reply.read(socket, is, BETWEEN_WRITES_MS, true);
          if (reply.closed) {
            break;
          }
        }
        if (!writeQuietly(os, framed(in.framing(), writes.get(i)))) {
          reply.closed = true;
        }
      }
      if (!reply.closed) {
        reply.read(socket, is, READ_WINDOW_MS, false);
      }
      return reply.outcome(start, status, in.websocket());
    } catch (IOException e) {
      return new Outcome(start, System.currentTimeMillis(), false, false, 0, 0, e.toString());
    }
  }

  /** What the broker sent, up to a cap, and whether it closed the connection. */
  private static final class Reply {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int total;
    boolean closed;

    /** Reads for up to {@code ms}; with {@code untilAny}, returns as soon as something arrived. */
    void read(Socket socket, InputStream is, int ms, boolean untilAny) {
      long deadline = System.nanoTime() + ms * 1_000_000L;
      byte[] buf = new byte[4096];
      try {
        while (true) {
          long left = (deadline - System.nanoTime()) / 1_000_000;
          if (left <= 0) {
            return;
          }
          socket.setSoTimeout((int) left);
          int n = is.read(buf);
          if (n < 0) {
            closed = true;
            return;
          }
          total += n;
          if (bytes.size() < 65_536) {
            bytes.write(buf, 0, n);
          }
          if (untilAny) {
            return;
          }
        }
      } catch (SocketTimeoutException e) {
        // nothing more within the window
      } catch (IOException e) {
        closed = true; // reset
      }
    }

    Outcome outcome(long start, int status) {
      return outcome(start, status, false);
    }

    /**
     * {@code connackOk}: the first MQTT packet back is a CONNACK with code 0 (in the first frame
     * over WebSocket).
     */
    Outcome outcome(long start, int status, boolean websocket) {
      byte[] b = bytes.toByteArray();
      int at = 0;
      if (websocket && b.length >= 2 && (b[0] & 0x0F) == 2 && (b[1] & 0x7F) < 126) {
        at = 2;
      } else if (websocket) {
        at = b.length;
      }
      boolean connackOk = b.length >= at + 4 && b[at] == 0x20 && (b[at + 3] & 0xFF) == 0;
      return new Outcome(start, System.currentTimeMillis(), connackOk, closed, total, status, null);
    }
  }

  private static boolean writeQuietly(OutputStream os, byte[] bytes) {
    try {
      os.write(bytes);
      os.flush();
      return true;
    } catch (IOException e) {
      return false; // the broker closed the connection: what the input is for
    }
  }

  private static String upgradeRequest(String path, String subprotocol, int port) {
    return "GET "
        + path
        + " HTTP/1.1\r\nHost: 127.0.0.1:"
        + port
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + (subprotocol.isEmpty() ? "" : "Sec-WebSocket-Protocol: " + subprotocol + "\r\n")
        + "\r\n";
  }

  /**
   * The status of the upgrade response (0 if none); what follows the headers goes to {@code reply}.
   */
  private static int readUpgradeResponse(
      Socket socket, InputStream is, Reply reply, int timeoutMs) {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    try {
      while (head.size() < 16_384) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          break;
        }
        socket.setSoTimeout((int) left);
        int b = is.read();
        if (b < 0) {
          reply.closed = true;
          break;
        }
        head.write(b);
        byte[] h = head.toByteArray();
        int n = h.length;
        if (n >= 4
            && h[n - 4] == '\r'
            && h[n - 3] == '\n'
            && h[n - 2] == '\r'
            && h[n - 1] == '\n') {
          break;
        }
      }
    } catch (IOException e) {
      reply.closed = true;
    }
    Matcher m =
        Pattern.compile("^HTTP/1\\.[01] (\\d{3})")
            .matcher(head.toString(StandardCharsets.ISO_8859_1));
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  /** The bytes of one write as they go on the wire: raw over TCP, in WebSocket frames otherwise. */
  private static byte[] framed(Framing framing, byte[] mqtt) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    switch (framing) {
      case TCP, WS_RAW -> out.writeBytes(mqtt);
      case WS_BINARY -> out.writeBytes(ProtocolFuzzInputs.wsFrame(0x82, mqtt, true));
      case WS_TEXT -> out.writeBytes(ProtocolFuzzInputs.wsFrame(0x81, mqtt, true));
      case WS_SPLIT, WS_FRAGMENTED -> {
        int piece = Math.max(1, (mqtt.length + 2) / 3);
        for (int from = 0; from < mqtt.length || from == 0; from += piece) {
          byte[] part = Arrays.copyOfRange(mqtt, from, Math.min(mqtt.length, from + piece));
          boolean first = from == 0;
          boolean last = from + piece >= mqtt.length;
          int firstByte =
              framing == Framing.WS_SPLIT ? 0x82 : (last ? 0x80 : 0x00) | (first ? 0x02 : 0x00);
          out.writeBytes(ProtocolFuzzInputs.wsFrame(firstByte, part, true));
        }
      }
      default -> throw new IllegalArgumentException(framing.toString());
    }
    return out.toByteArray();
  }

  // ------------------------------------------------------------------------------------------ node
  // state

  private static int readiness() {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + broker.managementPort() + "/health/ready"))
                  .timeout(Duration.ofSeconds(10))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** The gauges as /metrics on the management port shows them. */
  static Gauges gauges() {
    PrometheusScrape metrics;
    try {
      metrics = PrometheusScrape.of(broker);
    } catch (IOException e) {
      throw new IllegalStateException("GET /metrics failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return new Gauges(
        sum(metrics, "mqtt_connections"),
        sum(metrics, "mqttgrid_sessions_online"),
        sum(metrics, "mqttgrid_sessions"));
  }

  private static long sum(PrometheusScrape metrics, String metric) {
    if (metrics.series(metric).isEmpty()) {
      throw new IllegalStateException("no " + metric + " in /metrics");
    }
    return Math.round(metrics.sum(metric));
  }

  private static Optional<Gauges> awaitGauges(java.util.function.Predicate<Gauges> condition)
      throws Exception {
    return awaitGauges(condition, SETTLE);
  }

  private static Optional<Gauges> awaitGauges(
      java.util.function.Predicate<Gauges> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Gauges g = gauges();
      if (condition.test(g)) {
        return Optional.of(g);
      }
      if (System.nanoTime() > deadline) {
        return Optional.empty();
      }
      Thread.sleep(50);
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  // ------------------------------------------------------------------------------------------
  // reporting

  /** Failed checks by kind, with the first few occurrences of each. */
  private static final class Failures {
    private static final int EXAMPLES = 3;
    private final Map<String, List<String>> byKind = new LinkedHashMap<>();
    private final Map<String, Integer> counts = new LinkedHashMap<>();

    void add(String kind, String occurrence) {
      add(kind, occurrence, EXAMPLES);
    }

    void add(String kind, String occurrence, int examplesShown) {
      counts.merge(kind, 1, Integer::sum);
      List<String> examples = byKind.computeIfAbsent(kind, k -> new ArrayList<>());
      if (examples.size() < examplesShown) {
        examples.add(occurrence);
      }
    }

    boolean isEmpty() {
      return byKind.isEmpty();
    }

    int size() {
      return byKind.size();
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder();
      byKind.forEach(
          (kind, examples) -> {
            sb.append("- ")
                .append(kind)
                .append(" (")
                .append(counts.get(kind))
                .append(" times)")
                .append('\n');
            examples.forEach(e -> sb.append("    ").append(e).append('\n'));
          });
      return sb.toString();
    }
  }
}
