package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WillAndExpiryTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  private static PublishedMessage will() {
    return SessionQueueTest.message("will", 4);
  }

  @Test
  void aSessionWithoutExpiryAndWillSharesNoneAndCannotChangeIt() {
    WillAndExpiry none = WillAndExpiry.of(vertx, 0, null, 30);
    assertThat(none).isSameAs(WillAndExpiry.NONE);

    none.discardWill();
    assertThat(none.cancelWill()).isNull();
    none.cancelExpiry();
    assertThatThrownBy(() -> none.expirySeconds(60)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> none.armExpiry(1, () -> {})).isInstanceOf(IllegalStateException.class);
    assertThat(WillAndExpiry.NONE.expirySeconds()).isZero();
    assertThat(WillAndExpiry.NONE.will()).isNull();

    assertThat(WillAndExpiry.of(vertx, 0, will(), 0)).isNotSameAs(WillAndExpiry.NONE);
    assertThat(WillAndExpiry.of(vertx, 60, null, 0)).isNotSameAs(WillAndExpiry.NONE);
  }

  @Test
  void aPendingWillIsAnsweredWhenCancelledAndOnlyThen() throws Exception {
    WillAndExpiry end = WillAndExpiry.of(vertx, 60, will(), 30);
    assertThat(end.cancelWill()).as("no timer armed").isNull();

    end.armWill(60_000, () -> {});
    assertThat(end.cancelWill().id()).isEqualTo("will");
    assertThat(end.cancelWill()).as("cancelled already").isNull();

    CompletableFuture<Void> fired = new CompletableFuture<>();
    end.armWill(1, () -> fired.complete(null));
    fired.get(5, TimeUnit.SECONDS);
    assertThat(end.cancelWill()).as("it went out").isNull();

    end.discardWill();
    assertThat(end.will()).isNull();
    assertThat(end.willDelaySeconds()).isZero();
  }

  @Test
  void aCancelledExpiryDoesNotFire() throws Exception {
    WillAndExpiry end = WillAndExpiry.of(vertx, 60, null, 0);
    CompletableFuture<String> fired = new CompletableFuture<>();
    end.armExpiry(20, () -> fired.complete("cancelled one"));
    end.cancelExpiry();
    end.armExpiry(300, () -> fired.complete("armed again"));
    assertThat(fired.get(5, TimeUnit.SECONDS)).isEqualTo("armed again");
  }
}
