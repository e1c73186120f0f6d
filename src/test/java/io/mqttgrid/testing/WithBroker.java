package io.mqttgrid.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One {@link TestBroker} for the whole test class, started before its {@code @BeforeAll} methods
 * and closed after its {@code @AfterAll} methods (see {@link TestBrokerExtension}). The broker is
 * set into the class's static {@code TestBroker} field and is a parameter any test or lifecycle
 * method may declare.
 *
 * <pre>{@code
 * @WithBroker({"limits.max-packet-size=65536"})
 * class PacketSizeIT {
 *   static TestBroker broker;
 * }
 * }</pre>
 *
 * <p>Overrides known only at run time (a namespace file written to a {@code @TempDir}, say) come
 * from a static method of the class named by {@link #configMethod()}; it runs after static
 * {@code @TempDir} fields are set and before the broker starts.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(TestBrokerExtension.class)
public @interface WithBroker {

  /** Configuration overrides, each {@code key=value} with keys as in config/mqttgrid.yaml. */
  String[] value() default {};

  /**
   * The name of a static no-argument method of the test class returning {@code Map<String,
   * String>}: overrides added to (and winning over) {@link #value()}. Empty: none.
   */
  String configMethod() default "";
}
