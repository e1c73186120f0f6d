package io.mqttgrid.load.gatling.internal

import java.nio.ByteBuffer
import java.nio.charset.StandardCharsets
import java.util.UUID
import java.util.concurrent.{ CompletableFuture, TimeUnit }
import java.util.function.{ BiConsumer, Consumer, LongSupplier, Predicate }

import io.gatling.commons.stats.{ KO, OK }
import io.gatling.commons.util.Clock
import io.gatling.commons.validation._
import io.gatling.core.action.{ Action, RequestAction }
import io.gatling.core.action.builder.ActionBuilder
import io.gatling.core.session.{ Expression, Session }
import io.gatling.core.session.el._
import io.gatling.core.stats.StatsEngine
import io.gatling.core.structure.ScenarioContext
import io.gatling.core.util.NameGen
import io.mqttgrid.load.gatling._

/**
 * What every MQTT action shares: its connection from the session, and reporting to the stats engine. An
 * action starts its MQTT operation and returns; the operation's future reports and hands the session to
 * the next action (Action.! moves that onto the virtual user's event loop).
 */
abstract class MqttAction(requestNameText: String, components: MqttComponents, val next: Action)
    extends RequestAction
    with NameGen {

  override val requestName: Expression[String] = requestNameText.el[String]
  override val statsEngine: StatsEngine = components.coreComponents.statsEngine
  override val clock: Clock = components.coreComponents.clock

  protected val clockSupplier: LongSupplier = () => clock.nowMillis

  protected def connection(session: Session): Validation[MqttConnection] =
    session.attributes.get(MqttProtocol.ConnectionAttribute) match {
      case Some(connection: MqttConnection) => connection.success
      case _                                => "no MQTT connection in this session: connect first".failure
    }

  protected def optional(expression: Option[Expression[String]], session: Session): Validation[Option[String]] =
    expression match {
      case Some(e) => e(session).map(Some(_))
      case None    => None.success
    }

  protected def reportOk(session: Session, name: String, start: Long, end: Long): Unit =
    statsEngine.logResponse(session.scenario, session.groups, name, start, end, OK, None, None)

  protected def reportKo(session: Session, name: String, start: Long, end: Long, failure: MqttFailure): Unit =
    statsEngine.logResponse(session.scenario, session.groups, name, start, end, KO, Some(failure.code), Some(failure.getMessage))

  /** Completes {@code pending} exceptionally after {@code millis} on the virtual user's event loop. */
  protected def timeoutAfter[T](session: Session, pending: CompletableFuture[T], millis: Long)(onTimeout: () => Unit): Unit = {
    val timer = session.eventLoop.schedule(
      new Runnable {
        override def run(): Unit =
          if (pending.completeExceptionally(new MqttFailure("timeout", s"nothing within $millis ms"))) onTimeout()
      },
      millis,
      TimeUnit.MILLISECONDS
    )
    pending.whenComplete((_: T, _: Throwable) => { timer.cancel(false); () })
  }

  protected def whenDone[T](future: CompletableFuture[T])(f: (T, Throwable) => Unit): Unit =
    future.whenComplete(new BiConsumer[T, Throwable] {
      override def accept(value: T, error: Throwable): Unit = f(value, error)
    })
}

final class ConnectAction(attributes: MqttConnect, components: MqttComponents, next: Action)
    extends MqttAction(attributes.requestName, components, next) {

  override val name: String = genName("mqttConnect")

  private val clientId: Expression[String] = Option(attributes.clientId) match {
    case Some(text) => text.el[String]
    case None =>
      val run = java.lang.Long.toString(System.currentTimeMillis(), 36)
      session => s"gatling-$run-${session.userId}".success
  }
  private val username = Option(attributes.username).map(_.el[String])
  private val password = Option(attributes.password).map(_.el[String])
  private val auth = new MqttAuthExpressions(attributes.auth)

  override def sendRequest(session: Session): Validation[Unit] =
    for {
      name <- requestName(session)
      id <- clientId(session)
      user <- optional(username, session)
      secret <- optional(password, session)
      credentials <- auth(session)
    } yield {
      val request = new MqttConnection.ConnectRequest(
        id,
        attributes.cleanStart,
        attributes.sessionExpirySeconds,
        attributes.keepAliveSeconds,
        user.orNull,
        secret.orNull,
        credentials
      )
      val start = clock.nowMillis
      whenDone(MqttConnection.open(components.settings, request, clockSupplier)) { (connection, error) =>
        val end = clock.nowMillis
        if (error == null) {
          reportOk(session, name, start, end)
          next ! session.set(MqttProtocol.ConnectionAttribute, connection)
        } else {
          reportKo(session, name, start, end, MqttFailure.of(error))
          next ! session.markAsFailed
        }
      }
    }
}

final class SubscribeAction(attributes: MqttSubscribe, components: MqttComponents, next: Action)
    extends MqttAction(attributes.requestName, components, next) {

  override val name: String = genName("mqttSubscribe")

  private val topicFilter = attributes.topicFilter.el[String]

  override def sendRequest(session: Session): Validation[Unit] =
    for {
      name <- requestName(session)
      mqtt <- connection(session)
      filter <- topicFilter(session)
    } yield {
      val start = clock.nowMillis
      val subscribed =
        if (attributes.deliveryLatencyName == null && !attributes.replies) mqtt.subscribeToInbox(filter, attributes.qos)
        else mqtt.subscribe(filter, attributes.qos, handler(session, mqtt))
      whenDone(subscribed) { (_, error) =>
        val end = clock.nowMillis
        if (error == null) {
          reportOk(session, name, start, end)
          next ! session
        } else {
          reportKo(session, name, start, end, MqttFailure.of(error))
          next ! session.markAsFailed
        }
      }
    }

  // runs on the MQTT client's threads for every message; the stats engine takes events from any thread
  private def handler(session: Session, mqtt: MqttConnection): Consumer[ReceivedMessage] = message => {
    val latencyName = attributes.deliveryLatencyName
    if (latencyName != null) {
      val sentAt = message.sentAtMillis
      if (sentAt >= 0) {
        reportOk(session, latencyName, sentAt, message.receivedAtMillis)
      } else {
        reportKo(session, latencyName, message.receivedAtMillis, message.receivedAtMillis,
          new MqttFailure("no-timestamp", s"message on ${message.topic} carries no send time"))
      }
    }
    if (attributes.replies) {
      whenDone(mqtt.reply(message, attributes.qos)) { (_, error) =>
        if (error != null) {
          val now = clock.nowMillis
          reportKo(session, s"${attributes.requestName} reply", now, now, MqttFailure.of(error))
        }
      }
    }
  }
}

final class PublishAction(attributes: MqttPublish, components: MqttComponents, next: Action)
    extends MqttAction(attributes.requestName, components, next) {

  override val name: String = genName("mqttPublish")

  private val topic = attributes.topic.el[String]
  private val payloadText = Option(attributes.payload).map(_.el[String])

  override def sendRequest(session: Session): Validation[Unit] =
    for {
      name <- requestName(session)
      mqtt <- connection(session)
      topicName <- topic(session)
      text <- optional(payloadText, session)
    } yield {
      val start = clock.nowMillis
      val payload = text match {
        case Some(value) => value.getBytes(StandardCharsets.UTF_8)
        case None        => TimestampedPayload.create(start, attributes.payloadSize)
      }
      val request = new MqttConnection.PublishRequest(topicName, attributes.qos, payload, attributes.retain, null, null)
      whenDone(mqtt.publish(request)) { (_, error) =>
        val end = clock.nowMillis
        if (error == null) {
          reportOk(session, name, start, end)
          next ! session
        } else {
          reportKo(session, name, start, end, MqttFailure.of(error))
          next ! session.markAsFailed
        }
      }
    }
}

final class WaitForMessageAction(attributes: MqttWaitForMessage, components: MqttComponents, next: Action)
    extends MqttAction(attributes.requestName, components, next) {

  override val name: String = genName("mqttWaitForMessage")

  private val topic = Option(attributes.topic).map(_.el[String])
  private val payloadContains = Option(attributes.payloadContains).map(_.el[String])

  override def sendRequest(session: Session): Validation[Unit] =
    for {
      name <- requestName(session)
      mqtt <- connection(session)
      topicName <- optional(topic, session)
      expected <- optional(payloadContains, session)
    } yield {
      val start = clock.nowMillis
      val matcher: Predicate[ReceivedMessage] = message => topicName.forall(_ == message.topic)
      val wait = mqtt.awaitMessage(matcher)
      timeoutAfter(session, wait, attributes.timeoutMillis)(() => mqtt.forgetWait(wait))
      whenDone(wait) { (message, error) =>
        if (error != null) {
          reportKo(session, name, start, clock.nowMillis, MqttFailure.of(error))
          next ! session.markAsFailed
        } else {
          val sentAt = message.sentAtMillis
          val from = if (sentAt >= 0) sentAt else start
          val text = message.payloadAsString
          val saved = Option(attributes.saveAs).fold(session)(session.set(_, text))
          expected match {
            case Some(part) if !text.contains(part) =>
              reportKo(session, name, from, message.receivedAtMillis,
                new MqttFailure("check", s"payload on ${message.topic} does not contain '$part'"))
              next ! saved.markAsFailed
            case _ =>
              reportOk(session, name, from, message.receivedAtMillis)
              next ! saved
          }
        }
      }
    }
}

final class RequestReplyAction(attributes: MqttRequestReply, components: MqttComponents, next: Action)
    extends MqttAction(attributes.requestName, components, next) {

  override val name: String = genName("mqttRequestReply")

  private val topic = attributes.topic.el[String]
  private val responseTopic = attributes.responseTopic.el[String]

  override def sendRequest(session: Session): Validation[Unit] =
    for {
      name <- requestName(session)
      mqtt <- connection(session)
      requestTopic <- topic(session)
      replyTopic <- responseTopic(session)
    } yield {
      val id = UUID.randomUUID()
      val correlation = ByteBuffer.allocate(16).putLong(id.getMostSignificantBits).putLong(id.getLeastSignificantBits).array()
      // waiting before publishing: a fast reply must not arrive before anyone looks for it
      val reply = mqtt.awaitMessage(message => message.hasCorrelationData(correlation))
      val start = clock.nowMillis
      val request = new MqttConnection.PublishRequest(
        requestTopic,
        attributes.qos,
        TimestampedPayload.create(start, attributes.payloadSize),
        false,
        replyTopic,
        correlation
      )
      whenDone(mqtt.publish(request)) { (_, error) =>
        if (error != null && reply.completeExceptionally(MqttFailure.of(error))) mqtt.forgetWait(reply)
      }
      timeoutAfter(session, reply, attributes.timeoutMillis)(() => mqtt.forgetWait(reply))
      whenDone(reply) { (message, error) =>
        if (error != null) {
          reportKo(session, name, start, clock.nowMillis, MqttFailure.of(error))
          next ! session.markAsFailed
        } else {
          reportOk(session, name, start, message.receivedAtMillis)
          next ! session
        }
      }
    }
}

final class DisconnectAction(attributes: MqttDisconnect, components: MqttComponents, next: Action)
    extends MqttAction(attributes.requestName, components, next) {

  override val name: String = genName("mqttDisconnect")

  override def sendRequest(session: Session): Validation[Unit] =
    for {
      name <- requestName(session)
      mqtt <- connection(session)
    } yield {
      val start = clock.nowMillis
      whenDone(mqtt.disconnect()) { (_, error) =>
        val end = clock.nowMillis
        val after = session.remove(MqttProtocol.ConnectionAttribute)
        if (error == null) {
          reportOk(session, name, start, end)
          next ! after
        } else {
          reportKo(session, name, start, end, MqttFailure.of(error))
          next ! after.markAsFailed
        }
      }
    }
}

private[internal] abstract class MqttActionBuilder extends ActionBuilder {
  protected def components(ctx: ScenarioContext): MqttComponents =
    ctx.protocolComponentsRegistry.components(MqttProtocol.Key)
}

final class ConnectActionBuilder(attributes: MqttConnect) extends MqttActionBuilder {
  override def build(ctx: ScenarioContext, next: Action): Action = new ConnectAction(attributes, components(ctx), next)
}

final class SubscribeActionBuilder(attributes: MqttSubscribe) extends MqttActionBuilder {
  override def build(ctx: ScenarioContext, next: Action): Action = new SubscribeAction(attributes, components(ctx), next)
}

final class PublishActionBuilder(attributes: MqttPublish) extends MqttActionBuilder {
  override def build(ctx: ScenarioContext, next: Action): Action = new PublishAction(attributes, components(ctx), next)
}

final class WaitForMessageActionBuilder(attributes: MqttWaitForMessage) extends MqttActionBuilder {
  override def build(ctx: ScenarioContext, next: Action): Action = new WaitForMessageAction(attributes, components(ctx), next)
}

final class RequestReplyActionBuilder(attributes: MqttRequestReply) extends MqttActionBuilder {
  override def build(ctx: ScenarioContext, next: Action): Action = new RequestReplyAction(attributes, components(ctx), next)
}

final class DisconnectActionBuilder(attributes: MqttDisconnect) extends MqttActionBuilder {
  override def build(ctx: ScenarioContext, next: Action): Action = new DisconnectAction(attributes, components(ctx), next)
}
