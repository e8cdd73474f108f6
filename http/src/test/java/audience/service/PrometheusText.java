package audience.service;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The samples of a Prometheus text exposition (0.0.4), for tests: name, labels, value. */
record PrometheusText(String text, List<Sample> samples) {
  record Sample(String name, Map<String, String> labels, double value) {}

  static PrometheusText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int space = line.lastIndexOf(' ');
      String series = line.substring(0, space);
      double value = Double.parseDouble(line.substring(space + 1));
      int brace = series.indexOf('{');
      if (brace < 0) {
        samples.add(new Sample(series, Map.of(), value));
        continue;
      }
      samples.add(new Sample(series.substring(0, brace), labels(series.substring(brace + 1, series.lastIndexOf('}'))),
          value));
    }
    return new PrometheusText(text, List.copyOf(samples));
  }

  /** {@code a="x",b="y"}: label values are quoted, with \" and \\ escaped. */
  private static Map<String, String> labels(String s) {
    Map<String, String> labels = new LinkedHashMap<>();
    int i = 0;
    while (i < s.length()) {
      int eq = s.indexOf('=', i);
      String name = s.substring(i, eq).trim();
      StringBuilder value = new StringBuilder();
      int j = eq + 2; // past ="
      while (s.charAt(j) != '"') {
        if (s.charAt(j) == '\\') j++;
        value.append(s.charAt(j++));
      }
      labels.put(name, value.toString());
      i = j + 1;
      if (i < s.length() && s.charAt(i) == ',') i++;
    }
    return labels;
  }

  List<Sample> series(String name) {
    return samples.stream().filter(s -> s.name().equals(name)).toList();
  }

  boolean has(String name, Map<String, String> labels) {
    return series(name).stream().anyMatch(s -> s.labels().entrySet().containsAll(labels.entrySet()));
  }

  /** The sum of the series of {@code name} that have {@code labels}; fails when there is none. */
  double value(String name, Map<String, String> labels) {
    List<Sample> matching = series(name).stream()
        .filter(s -> s.labels().entrySet().containsAll(labels.entrySet())).toList();
    if (matching.isEmpty()) {
      throw new AssertionError("no series " + name + labels + " in the scrape");
    }
    return matching.stream().mapToDouble(Sample::value).sum();
  }

  double value(String name) {
    return value(name, Map.of());
  }
}
