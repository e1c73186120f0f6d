package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;

class PendingStoreWritesTest {

  private final PendingStoreWrites writes = new PendingStoreWrites();

  @Test
  void idleWhenNothingIsPending() {
    assertThat(writes.whenIdle().succeeded()).isTrue();
  }

  @Test
  void waitersHearOnceTheLastPendingWriteCompletesWhateverItsOutcome() {
    Promise<String> first = Promise.promise();
    Promise<String> second = Promise.promise();
    assertThat(writes.track(first.future())).isSameAs(first.future());
    writes.track(second.future());
    Future<Void> a = writes.whenIdle();
    Future<Void> b = writes.whenIdle();

    first.complete("ok");
    assertThat(a.isComplete()).as("one write still pending").isFalse();
    second.fail("refused");
    assertThat(a.succeeded()).isTrue();
    assertThat(b.succeeded()).isTrue();

    Promise<String> third = Promise.promise();
    writes.track(third.future());
    Future<Void> c = writes.whenIdle();
    assertThat(c.isComplete()).as("a later write is waited for again").isFalse();
    third.complete();
    assertThat(c.succeeded()).isTrue();
  }
}
