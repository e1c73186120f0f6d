package io.mqttgrid;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method or class allowed to use an API the build's forbidden-apis check refuses elsewhere
 * (the check finds it by this simple name). Each use says why next to it.
 */
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.METHOD, ElementType.CONSTRUCTOR, ElementType.TYPE})
public @interface SuppressForbidden {
  String reason();
}
