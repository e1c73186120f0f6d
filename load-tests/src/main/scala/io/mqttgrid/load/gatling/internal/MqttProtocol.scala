package io.mqttgrid.load.gatling.internal

import io.gatling.core.CoreComponents
import io.gatling.core.config.GatlingConfiguration
import io.gatling.core.protocol.{ Protocol, ProtocolComponents, ProtocolKey }
import io.gatling.core.session.Session
import io.mqttgrid.load.gatling.{ MqttConnection, MqttSettings }

// Why Scala: Gatling 3.10's Java DSL takes any io.gatling.javaapi.core.ActionBuilder / ProtocolBuilder, but
// those only hand over Scala objects (io.gatling.core.action.builder.ActionBuilder, Protocol) and the
// actions behind them must implement Gatling's Scala traits (Action, ChainableAction, ExitableAction,
// RequestAction), which mix in a logger val and concrete `!` overrides with `abstract override` stacking.
// Implementing those from Java means re-creating scalac's trait encoding by hand; a thin Scala layer is the
// way gatling-jms and gatling-http themselves do it. Everything MQTT (client, inbox, payloads) is Java in
// io.mqttgrid.load.gatling; this package only adapts it to Gatling.

object MqttProtocol {

  /** Session attribute holding the virtual user's MqttConnection. */
  val ConnectionAttribute: String = "io.mqttgrid.load.mqtt.connection"

  val Key: ProtocolKey[MqttProtocol, MqttComponents] = new ProtocolKey[MqttProtocol, MqttComponents] {
    override def protocolClass: Class[Protocol] = classOf[MqttProtocol].asInstanceOf[Class[Protocol]]

    override def defaultProtocolValue(configuration: GatlingConfiguration): MqttProtocol =
      MqttProtocol(MqttSettings.DEFAULT)

    override def newComponents(coreComponents: CoreComponents): MqttProtocol => MqttComponents =
      protocol => new MqttComponents(protocol.settings, coreComponents)
  }
}

final case class MqttProtocol(settings: MqttSettings) extends Protocol

final class MqttComponents(val settings: MqttSettings, val coreComponents: CoreComponents) extends ProtocolComponents {

  override def onStart: Session => Session = Session.Identity

  // a virtual user that ends while still connected (a scenario without disconnect, or one cut short by the
  // end of the simulation) must not leave its connection open in the load generator
  override def onExit: Session => Unit = session =>
    session.attributes.get(MqttProtocol.ConnectionAttribute) match {
      case Some(connection: MqttConnection) => connection.close()
      case _                                =>
    }
}
