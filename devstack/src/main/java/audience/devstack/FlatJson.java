package audience.devstack;

import java.util.LinkedHashMap;
import java.util.Map;

/** Reads and writes one flat JSON object of string (or null) values: all that endpoints.json needs. */
final class FlatJson {
  private FlatJson() {}

  static String write(Map<String, String> values) {
    StringBuilder sb = new StringBuilder("{\n");
    int i = 0;
    for (Map.Entry<String, String> e : values.entrySet()) {
      sb.append("  ").append(quote(e.getKey())).append(": ");
      sb.append(e.getValue() == null ? "null" : quote(e.getValue()));
      sb.append(++i < values.size() ? ",\n" : "\n");
    }
    return sb.append("}\n").toString();
  }

  static Map<String, String> read(String json) {
    Parser p = new Parser(json);
    Map<String, String> out = new LinkedHashMap<>();
    p.skipWs();
    p.expect('{');
    p.skipWs();
    if (p.peek() == '}') {
      p.pos++;
      return out;
    }
    while (true) {
      p.skipWs();
      String key = p.string();
      p.skipWs();
      p.expect(':');
      p.skipWs();
      String value;
      if (json.startsWith("null", p.pos)) {
        p.pos += 4;
        value = null;
      } else {
        value = p.string();
      }
      out.put(key, value);
      p.skipWs();
      char c = p.next();
      if (c == '}') {
        return out;
      }
      if (c != ',') {
        throw p.error("expected ',' or '}'");
      }
    }
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  private static final class Parser {
    final String s;
    int pos;

    Parser(String s) {
      this.s = s;
    }

    char peek() {
      if (pos >= s.length()) {
        throw error("unexpected end");
      }
      return s.charAt(pos);
    }

    char next() {
      char c = peek();
      pos++;
      return c;
    }

    void expect(char c) {
      if (next() != c) {
        throw error("expected '" + c + "'");
      }
    }

    void skipWs() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
        pos++;
      }
    }

    String string() {
      expect('"');
      StringBuilder sb = new StringBuilder();
      while (true) {
        char c = next();
        if (c == '"') {
          return sb.toString();
        }
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        char e = next();
        switch (e) {
          case '"', '\\', '/' -> sb.append(e);
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'u' -> {
            if (pos + 4 > s.length()) {
              throw error("bad \\u escape");
            }
            sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
            pos += 4;
          }
          default -> throw error("bad escape \\" + e);
        }
      }
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException("invalid JSON at offset " + pos + ": " + what);
    }
  }
}
