package io.mqttgrid.load;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One publisher to one subscriber over MQTT 5 on loopback: how many messages per second reach the
 * subscriber. Run against MQTT Grid and Mosquitto on the same machine to compare them.
 *
 * <pre>mvn -q -f load-tests/pom.xml compile exec:java -Dexec.args="--port 1883 --qos 1 --messages 200000"</pre>
 */
public final class Throughput {

  public static void main(String[] args) throws Exception {
    String host = "127.0.0.1";
    int port = 1883;
    int qos = 0;
    int messages = 200_000;
    int size = 64;
    int window = 1000;
    long sessionExpiry = 0;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--host" -> host = args[i + 1];
        case "--port" -> port = Integer.parseInt(args[i + 1]);
        case "--qos" -> qos = Integer.parseInt(args[i + 1]);
        case "--messages" -> messages = Integer.parseInt(args[i + 1]);
        case "--size" -> size = Integer.parseInt(args[i + 1]);
        case "--window" -> window = Integer.parseInt(args[i + 1]);
        case "--session-expiry" -> sessionExpiry = Long.parseLong(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    MqttQos q = MqttQos.fromCode(qos);
    String topic = "bench/throughput/" + System.nanoTime();
    byte[] payload = new byte[size];

    Mqtt5AsyncClient sub = MqttClient.builder().useMqttVersion5().identifier("bench-sub-" + System.nanoTime())
        .serverHost(host).serverPort(port).buildAsync();
    // a session expiry above 0 makes the subscriber's session persistent: every QoS 1/2 message is queued
    sub.connectWith().cleanStart(true).sessionExpiryInterval(sessionExpiry).send().get(10, TimeUnit.SECONDS);
    CountDownLatch done = new CountDownLatch(messages);
    // the window is end to end: a message leaves it when the subscriber has it, so the publisher never
    // outruns the subscriber and no broker has to drop anything to keep up
    Semaphore inFlight = new Semaphore(window);
    sub.subscribeWith().topicFilter(topic).qos(q).callback(p -> {
      done.countDown();
      inFlight.release();
    }).send().get(10, TimeUnit.SECONDS);

    Mqtt5AsyncClient pub = MqttClient.builder().useMqttVersion5().identifier("bench-pub-" + System.nanoTime())
        .serverHost(host).serverPort(port).buildAsync();
    pub.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);

    long start = System.nanoTime();
    for (int i = 0; i < messages; i++) {
      if (!inFlight.tryAcquire(10, TimeUnit.SECONDS)) {
        break; // messages are being lost: stop and report
      }
      pub.publishWith().topic(topic).qos(q).payload(payload).send();
    }
    long published = System.nanoTime();
    boolean complete = false;
    long lastCount = -1;
    for (int waited = 0; waited < 300 && !complete; waited++) {
      complete = done.await(10, TimeUnit.SECONDS);
      long count = done.getCount();
      if (!complete && count == lastCount) {
        break; // no progress for ten seconds: report what arrived
      }
      lastCount = count;
    }
    long end = System.nanoTime();
    long received = messages - done.getCount();
    double seconds = (end - start) / 1e9;
    System.out.printf(Locale.ROOT, "port %d qos %d size %d: %d/%d messages received in %.2f s = %.0f msg/s "
            + "(publish side %.0f msg/s)%s%n", port, qos, size, received, messages, seconds, received / seconds,
        messages / ((published - start) / 1e9), complete ? "" : " INCOMPLETE");
    pub.disconnect().get(10, TimeUnit.SECONDS);
    sub.disconnect().get(10, TimeUnit.SECONDS);
    System.exit(complete ? 0 : 1);
  }
}
