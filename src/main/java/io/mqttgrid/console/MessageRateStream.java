package io.mqttgrid.console;

import io.micrometer.core.instrument.MeterRegistry;
import io.mqttgrid.cluster.ClusterMembership;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's message-rate chart: this node samples its message counters every 2 seconds, and a
 * browser gets the cluster's rates as server-sent events, the last 15 minutes first.
 */
final class MessageRateStream {

  private static final Logger LOG = LoggerFactory.getLogger(MessageRateStream.class);

  /** Each node samples its rates in the middle of each 2-second bucket. */
  private static final long SAMPLE_PHASE_MILLIS = 1000;

  /**
   * A bucket is sent to the chart once it ended this long ago: every member sampled it (a second
   * after it began, give or take a late timer), and one whose timer was late filled it in.
   */
  private static final long COMPLETE_AFTER_MILLIS = 3000;

  /** The streams push in the second half of each bucket, away from the members' samples. */
  private static final long PUSH_PHASE_MILLIS = 1500;

  /** What a rate stream may have unsent before its client is taken as gone (about 15 s worth). */
  private static final int MAX_UNSENT_BYTES = 64 * 1024;

  private final ConsoleRoutes.Services services;

  private final OtherNodes otherNodes;

  /** This node's message rates of the last 15 minutes, for the overview's chart. */
  private final MessageRateHistory rates = new MessageRateHistory();

  MessageRateStream(ConsoleRoutes.Services services, OtherNodes otherNodes) {
    this.services = services;
    this.otherNodes = otherNodes;
  }

  /** This node's points of the buckets after {@code after} up to {@code upTo}. */
  JsonArray between(long after, long upTo) {
    return rates.between(after, upTo);
  }

  /**
   * Samples this node's message counters every 2 seconds into {@link #rates}. The timer is set on
   * the management verticle's context, so Vert.x cancels it when the verticle is undeployed (a
   * deployment's timers are closed with it), as it unregisters the consumer that answers the other
   * nodes' consoles. Counters are read from memory: no blocking on the event loop.
   */
  void sampleRates(Vertx vertx) {
    sampleRatesNow();
    vertx.setPeriodic(
        delayToPhase(System.currentTimeMillis(), SAMPLE_PHASE_MILLIS),
        MessageRateHistory.PERIOD_MILLIS,
        id -> sampleRatesNow());
  }

  private void sampleRatesNow() {
    MeterRegistry m = services.meters();
    rates.sample(
        System.currentTimeMillis(),
        System.nanoTime(),
        OverviewApi.counters(m, OverviewApi.MESSAGES_IN),
        OverviewApi.counters(m, OverviewApi.MESSAGES_OUT),
        OverviewApi.counters(m, OverviewApi.MESSAGES_DROPPED));
  }

  /** The delay from {@code now} to the next time {@code phase} ms into a bucket. */
  private static long delayToPhase(long now, long phase) {
    long delay = Math.floorMod(phase - now, MessageRateHistory.PERIOD_MILLIS);
    return delay == 0 ? MessageRateHistory.PERIOD_MILLIS : delay;
  }

  /** The last bucket every member has sampled at {@code now}. */
  private static long lastCompleteBucket(long now) {
    return MessageRateHistory.bucket(now - COMPLETE_AFTER_MILLIS);
  }

  /**
   * The cluster's message rates as server-sent events: first {@code history}, the points of the
   * last 15 minutes, then {@code rates} every 2 seconds with the points since. Each event's data is
   * {@code {points: [{t, in, out, dropped}], members: [{node, reachable, problem}]}}: per 2-second
   * bucket ({@code t}, its start in epoch ms) the sum of the members that answered, in messages per
   * second; a member that did not answer is left out of the points and shown not reachable.
   */
  void rateStream(RoutingContext ctx) {
    ctx.request().resume();
    ctx.response()
        .setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .setWriteQueueMaxSize(MAX_UNSENT_BYTES);
    new RateStream(ctx).start();
  }

  /**
   * One client's stream. Its work is bounded: one timer, at most one gathering from the members at
   * a time (a tick that finds the previous one unanswered is skipped, and the next one sends both
   * buckets), and a client that stops reading is disconnected once {@link #MAX_UNSENT_BYTES} wait.
   */
  private final class RateStream {
    private final RoutingContext ctx;
    private final Vertx vertx;
    private long sentUpTo;
    private long timer = -1;
    private boolean gathering;
    private boolean closed;

    RateStream(RoutingContext ctx) {
      this.ctx = ctx;
      this.vertx = ctx.vertx();
    }

    void start() {
      ctx.response().closeHandler(v -> stop());
      ctx.response().exceptionHandler(e -> stop());
      long upTo = lastCompleteBucket(System.currentTimeMillis());
      gather(
          upTo - MessageRateHistory.CAPACITY * MessageRateHistory.PERIOD_MILLIS,
          upTo,
          "history",
          () ->
              timer =
                  vertx.setPeriodic(
                      delayToPhase(System.currentTimeMillis(), PUSH_PHASE_MILLIS),
                      MessageRateHistory.PERIOD_MILLIS,
                      id -> push()));
    }

    private void push() {
      if (closed || gathering) {
        return;
      }
      if (ctx.response().writeQueueFull()) {
        LOG.debug("console rate stream: the client stopped reading, disconnected");
        stop();
        ctx.request().connection().close();
        return;
      }
      gather(sentUpTo, lastCompleteBucket(System.currentTimeMillis()), "rates", () -> {});
    }

    private void gather(long after, long upTo, String event, Runnable then) {
      gathering = true;
      clusterRates(vertx, after, upTo)
          .onComplete(
              ar -> {
                gathering = false;
                if (closed) {
                  return;
                }
                sentUpTo = Math.max(sentUpTo, upTo);
                // the event-stream framing is two lines; vertx-web has no server-sent events. The
                // data is one line: encoded JSON holds no line break
                ctx.response()
                    .write("event: " + event + "\ndata: " + ar.result().encode() + "\n\n");
                then.run();
              });
    }

    private void stop() {
      if (!closed) {
        closed = true;
        if (timer >= 0) {
          vertx.cancelTimer(timer);
        }
      }
    }
  }

  /**
   * Every member's points of the buckets after {@code after} up to {@code upTo}, asked for over the
   * event bus as the overview asks for their meters, summed per bucket. Never fails: a member that
   * does not answer within {@link OtherNodes#TIMEOUT_MILLIS} is left out and shown not reachable.
   */
  private Future<JsonObject> clusterRates(Vertx vertx, long after, long upTo) {
    JsonObject query = new JsonObject().put("op", "rates").put("after", after).put("upTo", upTo);
    JsonArray members = new JsonArray();
    List<JsonArray> answers = new ArrayList<>();
    List<Future<?>> asked = new ArrayList<>();
    for (ClusterMembership.MemberInfo m : services.members().get()) {
      JsonObject member = new JsonObject().put("node", m.node());
      members.add(member);
      if (m.local()) {
        member.put("reachable", true);
        answers.add(rates.between(after, upTo));
      } else if (m.node() == null) {
        member.put("reachable", false);
      } else {
        asked.add(
            OtherNodes.request(vertx, m.node(), query)
                .onSuccess(
                    reply -> {
                      member.put("reachable", true);
                      answers.add(reply.getJsonArray("points", new JsonArray()));
                    })
                .onFailure(e -> member.put("reachable", false).put("problem", e.getMessage())));
      }
    }
    return Future.join(asked)
        .otherwiseEmpty()
        .map(
            x ->
                new JsonObject()
                    .put("points", MessageRateHistory.sumByBucket(answers))
                    .put("members", members));
  }
}
