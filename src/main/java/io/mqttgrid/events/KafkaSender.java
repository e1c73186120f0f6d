package io.mqttgrid.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.CloudEvent;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.kafka.KafkaMessageFactory;
import io.mqttgrid.access.RoutingSettings;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes events to one Kafka topic with the CloudEvents Kafka binding ({@link
 * KafkaMessageFactory}), binary or structured mode, one record per event.
 *
 * <p>{@link KafkaProducer#send} blocks while it has no metadata for the topic (the cluster is down:
 * up to {@code max.block.ms}) or its buffer is full, so it runs on a thread of its own, never on
 * the routing context's event loop; the outcome comes back through the callback. The producer's own
 * retries stop at {@code delivery.timeout.ms}, by default the node's {@code routing.timeout-ms}
 * like a webhook request: past it the events go back to the routing's retry schedule, counted,
 * rather than waiting inside the producer unseen.
 */
final class KafkaSender {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final RoutingSettings.KafkaDestination destination;
  private final KafkaProducer<String, byte[]> producer;
  private final ExecutorService thread;

  KafkaSender(RoutingSettings.KafkaDestination destination, long timeoutMillis, String label) {
    this.destination = destination;
    this.producer = new KafkaProducer<>(settings(destination, timeoutMillis));
    this.thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "mqttgrid-routing-kafka " + label);
              t.setDaemon(true);
              return t;
            });
  }

  /** The producer's configuration: the broker's defaults, then the destination's settings. */
  static Map<String, Object> settings(
      RoutingSettings.KafkaDestination destination, long timeoutMillis) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(timeoutMillis));
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(timeoutMillis));
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.putAll(destination.producerSettings());
    // Kafka refuses a delivery timeout below linger + request timeout: derived unless set
    if (!destination.producerSettings().containsKey(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)) {
      long linger = Long.parseLong(String.valueOf(p.get(ProducerConfig.LINGER_MS_CONFIG)));
      long request =
          Long.parseLong(String.valueOf(p.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG)));
      p.put(
          ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
          String.valueOf(Math.max(timeoutMillis, linger + request)));
    }
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, destination.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  /**
   * Sends the events, one record each, and calls {@code done} once with the outcome of each record,
   * in the events' order: null where Kafka acknowledged it, else what failed. Kafka answers per
   * record (one may be refused, too large, while the others of the batch are written), and so does
   * the routing: it delivers, retries or dead-letters each as its own outcome says.
   *
   * @param keys the record key of each event, null for none
   */
  void send(
      List<CloudEvent> events,
      List<String> keys,
      boolean eventGridSchema,
      Consumer<List<Failure>> done) {
    try {
      thread.execute(() -> sendNow(events, keys, eventGridSchema, done));
    } catch (RejectedExecutionException closed) {
      Failure gone = new Failure(RoutingErrors.TOPIC_NOT_FOUND, "destination closed");
      done.accept(java.util.Collections.nCopies(events.size(), gone));
    }
  }

  /**
   * Why a record was not written.
   *
   * @param error its error dimension ({@link #error})
   * @param why for the log line and a dead letter's {@code lastDeliveryOutcome} ({@link #describe})
   */
  record Failure(String error, String why) {
    static Failure of(Exception e) {
      return new Failure(KafkaSender.error(e), KafkaSender.describe(e));
    }
  }

  private void sendNow(
      List<CloudEvent> events,
      List<String> keys,
      boolean eventGridSchema,
      Consumer<List<Failure>> done) {
    AtomicReferenceArray<Failure> outcomes = new AtomicReferenceArray<>(events.size());
    AtomicInteger left = new AtomicInteger(events.size());
    Runnable one =
        () -> {
          if (left.decrementAndGet() == 0) {
            List<Failure> all = new ArrayList<>(events.size());
            for (int i = 0; i < events.size(); i++) {
              all.add(outcomes.get(i));
            }
            done.accept(all);
          }
        };
    for (int i = 0; i < events.size(); i++) {
      int at = i;
      try {
        producer.send(
            record(events.get(i), keys.get(i), eventGridSchema),
            (metadata, e) -> {
              if (e != null) {
                outcomes.set(at, Failure.of(e));
              }
              one.run();
            });
      } catch (RuntimeException e) {
        // metadata not there in max.block.ms (the cluster is down), or a record Kafka refuses
        outcomes.set(at, Failure.of(e));
        one.run();
      }
    }
  }

  private ProducerRecord<String, byte[]> record(
      CloudEvent event, String key, boolean eventGridSchema) {
    if (eventGridSchema) {
      // Event Grid's schema has no Kafka binding: the event's JSON is the value
      byte[] value;
      try {
        value = MAPPER.writeValueAsBytes(EventGridSchema.event(event));
      } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
        throw new IllegalStateException("cannot write the event as JSON", ex);
      }
      ProducerRecord<String, byte[]> r = new ProducerRecord<>(destination.topic(), key, value);
      r.headers()
          .add(
              new RecordHeader(
                  "content-type", EventGridSchema.CONTENT_TYPE.getBytes(StandardCharsets.UTF_8)));
      return r;
    }
    var writer = KafkaMessageFactory.createWriter(destination.topic(), key);
    return destination.structured()
        ? writer.writeStructured(event, JsonFormat.CONTENT_TYPE)
        : writer.writeBinary(event);
  }

  /**
   * The error dimension of a failed send (Event Grid's routing delivery and retry rules); retried
   * ones are the transient.
   */
  static String error(Exception e) {
    if (e instanceof AuthenticationException || e instanceof AuthorizationException) {
      return RoutingErrors.AUTHENTICATION_ERROR;
    }
    if (e instanceof InvalidTopicException) {
      return RoutingErrors.TOPIC_NOT_FOUND;
    }
    if (e instanceof RetriableException || e instanceof TimeoutException) {
      return RoutingErrors.SERVICE_ERROR;
    }
    if (e instanceof ApiException) {
      // the record itself is refused (too large, say): sending it again would not help
      return RoutingErrors.CLIENT_ERROR;
    }
    return RoutingErrors.SERVICE_ERROR;
  }

  /** For the log line and a dead letter's {@code lastDeliveryOutcome}. */
  static String describe(Exception e) {
    String d = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    // the producer says this both when no broker answers and when the topic is missing (and not
    // created automatically): on its own it sends an operator after the topic while Kafka is down
    if (e instanceof TimeoutException
        && e.getMessage() != null
        && e.getMessage().contains("not present in metadata")) {
      d += " (Kafka did not answer, or the topic does not exist)";
    }
    return d;
  }

  /** Stops the thread and closes the producer without waiting for what it holds. */
  void close() {
    try {
      thread.execute(() -> producer.close(java.time.Duration.ZERO));
      thread.shutdown();
    } catch (RejectedExecutionException alreadyClosed) {
      // closed before
    }
  }
}
