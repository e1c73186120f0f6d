package io.mqttgrid.testing;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.ReflectionSupport;

/**
 * Starts the {@link TestBroker} of a class annotated {@link WithBroker}, with the annotation's
 * overrides (and its config method's), and closes it after the class. The broker goes into every
 * static field of type {@code TestBroker} declared by the class or its superclasses, and resolves
 * {@code TestBroker} parameters.
 */
public final class TestBrokerExtension
    implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(TestBrokerExtension.class);
  private static final String KEY = "broker";

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Class<?> testClass = context.getRequiredTestClass();
    WithBroker config =
        AnnotationSupport.findAnnotation(testClass, WithBroker.class)
            .orElseThrow(
                () ->
                    new ExtensionConfigurationException(
                        testClass.getName() + " has no @WithBroker"));
    Map<String, String> overrides = overrides(config);
    if (!config.configMethod().isEmpty()) {
      overrides.putAll(fromConfigMethod(testClass, config.configMethod()));
    }
    TestBroker broker = TestBroker.start(overrides);
    context.getStore(NAMESPACE).put(KEY, broker);
    for (Field field : brokerFields(testClass)) {
      field.setAccessible(true);
      field.set(null, broker);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    TestBroker broker = context.getStore(NAMESPACE).remove(KEY, TestBroker.class);
    if (broker != null) {
      broker.close();
    }
    for (Field field : brokerFields(context.getRequiredTestClass())) {
      field.set(null, null);
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestBroker.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    // a nested class's store has no broker of its own: look it up through the parents
    for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
      TestBroker broker = c.getStore(NAMESPACE).get(KEY, TestBroker.class);
      if (broker != null) {
        return broker;
      }
    }
    throw new ExtensionConfigurationException("no broker started for " + context.getDisplayName());
  }

  static Map<String, String> overrides(WithBroker config) {
    Map<String, String> overrides = new LinkedHashMap<>();
    for (String entry : config.value()) {
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new ExtensionConfigurationException(
            "@WithBroker override '" + entry + "' is not key=value");
      }
      overrides.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
    }
    return overrides;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> fromConfigMethod(Class<?> testClass, String name)
      throws Exception {
    Method method =
        ReflectionSupport.findMethod(testClass, name)
            .filter(
                m ->
                    Modifier.isStatic(m.getModifiers())
                        && Map.class.isAssignableFrom(m.getReturnType()))
            .orElseThrow(
                () ->
                    new ExtensionConfigurationException(
                        "@WithBroker(configMethod = \""
                            + name
                            + "\"): "
                            + testClass.getName()
                            + " has no static method "
                            + name
                            + "() returning a Map"));
    method.setAccessible(true);
    try {
      return (Map<String, String>) method.invoke(null);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  private static java.util.List<Field> brokerFields(Class<?> testClass) {
    java.util.List<Field> fields = new java.util.ArrayList<>();
    for (Class<?> c = testClass; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (f.getType() == TestBroker.class
            && Modifier.isStatic(f.getModifiers())
            && !Modifier.isFinal(f.getModifiers())) {
          f.setAccessible(true);
          fields.add(f);
        }
      }
    }
    return fields;
  }
}
