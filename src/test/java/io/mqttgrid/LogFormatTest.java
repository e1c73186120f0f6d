package io.mqttgrid;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The shipped log format (src/main/resources/logback.xml): what a client sent cannot forge a log
 * line.
 */
class LogFormatTest {

  @Test
  void controlCharactersInAMessageAreEscapedSoThatOneEventIsOneLine() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    @SuppressWarnings("unchecked")
    ConsoleAppender<ILoggingEvent> stdout =
        (ConsoleAppender<ILoggingEvent>) root.getAppender("STDOUT");
    Encoder<ILoggingEvent> encoder = stdout.getEncoder();
    LoggingEvent event =
        new LoggingEvent(
            getClass().getName(),
            root,
            Level.INFO,
            "connect refused: client '{}'",
            null,
            new Object[] {"evil\r\n2026-12-06 ERROR forged\u0007\u001b[31m"});
    String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
    assertThat(line).endsWith("\n");
    String body = line.substring(0, line.length() - 1);
    assertThat(body).doesNotContain("\n", "\r", "\u0007", "\u001b");
    assertThat(body).contains("client 'evil?\\n2026-12-06 ERROR forged??[31m'");
  }
}
