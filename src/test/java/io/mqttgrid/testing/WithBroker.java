package io.mqttgrid.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One {@link TestBroker} for the whole test class, started before its {@code @BeforeAll} methods and closed
 * after its {@code @AfterAll} methods (see {@link TestBrokerExtension}). The broker is set into the class's
 * static {@code TestBroker} field and is a parameter any test or lifecycle method may declare.
 *
 * <pre>{@code
 * @WithBroker({"limits.max-packet-size=65536"})
 * class PacketSizeIT {
 *   static TestBroker broker;
 * }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(TestBrokerExtension.class)
public @interface WithBroker {

  /** Configuration overrides, each {@code key=value} with keys as in config/mqttgrid.yaml. */
  String[] value() default {};
}
