package audience.cli;

import audience.devstack.DevStack;
import audience.generator.GeneratorSpec;
import audience.local.Local;
import audience.service.Service;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Once, on fresh in-memory emulators: generate, trigger, ingest, verify; print a summary; "
        + "exit non-zero on any inconsistency.")
final class DemoCommand implements Callable<Integer> {
  @Mixin DemoData data;
  @Option(names = "--json", description = "Print the summary as one JSON line.") boolean jsonOut;

  @Override
  public Integer call() throws Exception {
    Path home = Path.of("run", "demo-" + Instant.now().toEpochMilli());
    try (DevStack devstack = DevStack.start(DevStack.Options.transientIn(home)
        .withHeapMb(Local.devstackHeapMbFor(data.files)));
         Service service = Service.start(Local.settings(devstack, data.serviceSettings(Map.of("audience.http.port", 0, "pekko.management.http.port", 0))))) {
      GeneratorSpec spec = data.spec(service.node().settings().resources().rawBucket());
      ObjectNode summary = DemoRun.run(service.node(), spec, "demo-" + home.getFileName(), null);
      ObjectMapper json = new ObjectMapper();
      System.out.println(jsonOut ? json.writeValueAsString(summary)
          : json.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
      return summary.path("consistent").asBoolean() ? 0 : 1;
    }
  }
}
