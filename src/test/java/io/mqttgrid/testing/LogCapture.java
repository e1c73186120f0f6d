package io.mqttgrid.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Every log event from any logger of this JVM (a broker started by {@link TestBroker} logs here),
 * while attached to the root logger: for tests that an expected event logs no error or stack trace.
 */
public final class LogCapture extends ListAppender<ILoggingEvent> {
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  public void attach() {
    setContext(root.getLoggerContext());
    start();
    root.addAppender(this);
  }

  public void detach() {
    root.detachAppender(this);
    stop();
  }

  @Override
  protected void append(ILoggingEvent e) {
    e.prepareForDeferredProcessing(); // the thread name is read later, on another thread
    super.append(e);
  }

  /** The events since the last drain (AppenderBase appends under this object's lock). */
  public synchronized List<ILoggingEvent> drain() {
    List<ILoggingEvent> events = new ArrayList<>(list);
    list.clear();
    return events;
  }
}
