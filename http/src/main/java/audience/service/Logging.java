package audience.service;

import audience.config.Settings.LoggingSettings;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import org.slf4j.LoggerFactory;

import java.net.URL;

/**
 * Puts the process's logging in the configured format ({@code audience.logging.format}): {@code logback.xml}'s
 * text lines, or {@code logback-json.xml}'s JSON objects (the aws profile). Called once by a process's main, before
 * the node starts; logging is the process's, so nodes started by tests leave it alone.
 */
public final class Logging {
  static final String TEXT = "/logback.xml";
  static final String JSON = "/logback-json.xml";

  private Logging() {}

  public static void apply(LoggingSettings settings) {
    String resource = switch (settings.format()) {
      case TEXT -> TEXT;
      case JSON -> JSON;
    };
    URL url = Logging.class.getResource(resource);
    if (url == null) throw new IllegalStateException("no " + resource + " on the class path");
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    context.reset();
    try {
      configurator.doConfigure(url);
    } catch (JoranException e) {
      throw new IllegalStateException("cannot configure logging from " + resource + ": " + e.getMessage(), e);
    }
  }
}
