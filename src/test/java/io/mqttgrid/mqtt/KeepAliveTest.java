package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * At the CONNACK the keep-alive in force leaves vertx-mqtt's pipeline handlers for the event loop's
 * sweep; what is enforced then is covered by KeepAliveIT.
 */
class KeepAliveTest {

  private static final long SECOND = 1_000_000_000L;
  private static final int MAX_KEEP_ALIVE = 120;

  private Vertx vertx;
  private KeepAliveSweep sweep;
  private EmbeddedChannel channel;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    sweep = new KeepAliveSweep(vertx);
    channel = new EmbeddedChannel();
  }

  @AfterEach
  void tearDown() {
    sweep.stop();
    channel.finishAndReleaseAll();
    vertx.close().await();
  }

  /** The pipeline vertx-mqtt leaves after a CONNECT with a keep-alive (MqttServerConnection). */
  private ChannelPipeline vertxMqttPipeline(int keepAliveSeconds) {
    ChannelPipeline p = channel.pipeline();
    p.addLast("handler", new ChannelInboundHandlerAdapter());
    p.addBefore("handler", "idle", new IdleStateHandler(keepAliveSeconds * 3 / 2, 0, 0));
    p.addBefore("handler", "keepAliveHandler", new ChannelDuplexHandler());
    return p;
  }

  /** Not lapsed a second before {@code seconds} from {@code startNanos}, lapsed a second after. */
  private static void assertLapsesAfter(KeepAlive k, long startNanos, int seconds) {
    assertThat(k.lapsed(startNanos + (seconds - 1) * SECOND)).isFalse();
    assertThat(k.lapsed(System.nanoTime() + (seconds + 1) * SECOND)).isTrue();
  }

  @Test
  void theClientsKeepAliveLeavesThePipelineForTheSweep() {
    ChannelPipeline p = vertxMqttPipeline(60);
    KeepAlive k = new KeepAlive(null, sweep, MAX_KEEP_ALIVE);
    long connack = System.nanoTime();
    k.start(false, 60, p);

    assertThat(p.names()).doesNotContain("idle", "keepAliveHandler").contains("handler");
    assertThat(sweep.size()).isEqualTo(1);
    // 1.5 x the client's 60 s, not the cap's
    assertLapsesAfter(k, connack, 90);

    k.stop();
    assertThat(sweep.size()).isZero();
  }

  @Test
  void aPacketMovesTheDeadline() {
    KeepAlive k = new KeepAlive(null, sweep, MAX_KEEP_ALIVE);
    k.start(false, 10, vertxMqttPipeline(10));
    long start = System.nanoTime();
    assertThat(k.lapsed(start + 16 * SECOND)).isTrue();
    k.touch();
    long touched = System.nanoTime();
    assertThat(k.lapsed(touched + 14 * SECOND)).isFalse();
    assertThat(k.lapsed(touched + 16 * SECOND)).isTrue();
  }

  @Test
  void theServerKeepAliveIsWatchedWhenTheClientAskedForNone() {
    ChannelPipeline p = channel.pipeline();
    p.addLast("handler", new ChannelInboundHandlerAdapter());
    KeepAlive k = new KeepAlive(null, sweep, MAX_KEEP_ALIVE);
    long connack = System.nanoTime();
    k.start(true, 0, p);

    assertThat(sweep.size()).isEqualTo(1);
    assertLapsesAfter(k, connack, 180);
  }

  @Test
  void aClientKeepAliveOverTheCapLeavesThePipelineAndIsHeldToTheCap() {
    ChannelPipeline p = vertxMqttPipeline(300);
    KeepAlive k = new KeepAlive(null, sweep, MAX_KEEP_ALIVE);
    long connack = System.nanoTime();
    k.start(true, 300, p);

    assertThat(p.names()).doesNotContain("idle", "keepAliveHandler").contains("handler");
    assertThat(sweep.size()).isEqualTo(1);
    // 1.5 x the cap's 120 s, not the client's 300 s
    assertLapsesAfter(k, connack, 180);
  }

  @Test
  void theServerKeepAliveIsWatchedEvenWhenThePipelineCannotBeReached() {
    KeepAlive k = new KeepAlive(null, sweep, MAX_KEEP_ALIVE);
    long connack = System.nanoTime();
    // vertx-mqtt would watch only the client's 300 s, longer than the cap announced to it
    k.start(true, 300, null);

    assertThat(sweep.size()).isEqualTo(1);
    assertLapsesAfter(k, connack, 180);
  }

  @Test
  void noKeepAliveIsNotWatched() {
    ChannelPipeline p = channel.pipeline();
    p.addLast("handler", new ChannelInboundHandlerAdapter());
    KeepAlive k = new KeepAlive(null, sweep, MAX_KEEP_ALIVE);
    // a 3.1.1 client asking for none: no Server Keep Alive to announce
    k.start(false, 0, p);

    assertThat(sweep.size()).isZero();
    assertThat(k.lapsed(System.nanoTime() + 1_000_000 * SECOND)).isFalse();
  }

  @Test
  void anUnreachablePipelineLeavesTheKeepAliveToVertxMqtt() {
    KeepAlive k = new KeepAlive(null, sweep, MAX_KEEP_ALIVE);
    k.start(false, 60, null);

    assertThat(sweep.size()).isZero();
  }

  @Test
  void theSweepsTimerRunsOnlyWhileItWatchesAConnection() {
    KeepAlive a = new KeepAlive(null, sweep, MAX_KEEP_ALIVE);
    KeepAlive b = new KeepAlive(null, sweep, MAX_KEEP_ALIVE);
    a.start(false, 60, vertxMqttPipeline(60));
    b.start(false, 60, new EmbeddedChannel().pipeline());
    assertThat(sweep.size()).isEqualTo(2);
    assertThat(sweep.timerRunning()).isTrue();

    a.stop();
    a.stop();
    assertThat(sweep.size()).isEqualTo(1);
    assertThat(sweep.timerRunning()).isTrue();
    b.stop();
    assertThat(sweep.size()).isZero();
    assertThat(sweep.timerRunning()).isFalse();
  }
}
