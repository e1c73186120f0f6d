package io.mqttgrid.load.gatling.internal

import io.gatling.commons.validation._
import io.gatling.core.session.{ Expression, Session }
import io.gatling.core.session.el._
import io.mqttgrid.load.gatling.MqttConnectAuth

/** The Expression Language fields of a connect's authentication (client certificate, enhanced auth), compiled once. */
final class MqttAuthExpressions(auth: MqttConnectAuth) {

  private val certificateFile = Option(auth.clientCertificateFile).map(_.el[String])
  private val keyFile = Option(auth.clientKeyFile).map(_.el[String])
  private val method = Option(auth.authenticationMethod).map(_.el[String])
  private val data = Option(auth.authenticationData).map(_.el[String])

  def apply(session: Session): Validation[MqttConnectAuth.Values] =
    for {
      certificate <- resolve(certificateFile, session)
      key <- resolve(keyFile, session)
      m <- resolve(method, session)
      d <- resolve(data, session)
    } yield new MqttConnectAuth.Values(certificate, key, m, d)

  private def resolve(expression: Option[Expression[String]], session: Session): Validation[String] =
    expression match {
      case Some(e) => e(session)
      case None    => (null: String).success
    }
}
