package audience.devstack;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 message framing on raw streams: just enough to find where a request or response starts and ends, so
 * that the {@link FaultProxy} can forward both byte for byte (chunked and fixed-length bodies alike) and act
 * between messages. Header lines are kept as they came; nothing is re-encoded.
 */
final class HttpWire {
  /** A head longer than this is not an AWS request; the connection is dropped rather than buffered without end. */
  static final int MAX_HEAD_BYTES = 64 * 1024;
  /** Bodies are copied through a buffer of this size. */
  private static final int COPY_BUFFER_BYTES = 16 * 1024;
  private static final int HEX = 16;
  private static final byte[] CRLF = {'\r', '\n'};
  /** The first line of an HTTP/2 connection with prior knowledge (RFC 9113, 3.4). */
  static final String HTTP2_PREFACE_LINE = "PRI * HTTP/2.0";
  /** The rest of the HTTP/2 preface after its first line. */
  static final byte[] HTTP2_PREFACE_REST = "\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private HttpWire() {}

  /**
   * A request or response head: the start line and the header lines as received (without line ends).
   */
  record Head(String startLine, List<String> headerLines) {
    Head {
      headerLines = List.copyOf(headerLines);
    }

    /** The first value of a header (case-insensitive name), trimmed; null when absent. */
    String header(String name) {
      for (String line : headerLines) {
        if (isHeader(line, name)) return line.substring(line.indexOf(':') + 1).trim();
      }
      return null;
    }

    /** Whether a comma-separated header (any occurrence) holds {@code token}, case-insensitive. */
    boolean hasToken(String name, String token) {
      for (String line : headerLines) {
        if (!isHeader(line, name)) continue;
        for (String t : line.substring(line.indexOf(':') + 1).split(",")) {
          if (t.trim().equalsIgnoreCase(token)) return true;
        }
      }
      return false;
    }

    /** The same head without any line of header {@code name}. */
    Head without(String name) {
      List<String> kept = new ArrayList<>();
      for (String line : headerLines) {
        if (!isHeader(line, name)) kept.add(line);
      }
      return new Head(startLine, kept);
    }

    /** Whether a header line is of header {@code name} (case-insensitive). */
    private static boolean isHeader(String line, String name) {
      int colon = line.indexOf(':');
      return colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name);
    }

    /** The head as sent on the wire, ending with the empty line. */
    byte[] bytes() {
      StringBuilder b = new StringBuilder(startLine).append("\r\n");
      for (String line : headerLines) b.append(line).append("\r\n");
      return b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    // --- requests

    String method() {
      return part(0);
    }

    /** The request target: path and query, still encoded. */
    String target() {
      return part(1);
    }

    /** The request path, percent-decoded. */
    String decodedPath() {
      String target = target();
      int q = target.indexOf('?');
      String path = q < 0 ? target : target.substring(0, q);
      // '+' is a literal plus in a path, not a space as in a form
      return URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The query parameters, decoded; a parameter without value maps to "". */
    Map<String, String> query() {
      String target = target();
      int q = target.indexOf('?');
      return q < 0 ? Map.of() : form(target.substring(q + 1));
    }

    boolean isHead() {
      return "HEAD".equals(method());
    }

    /** Whether the client asks to close the connection after the answer. */
    boolean wantsClose() {
      return hasToken("Connection", "close") || part(2).equals("HTTP/1.0") && !hasToken("Connection", "keep-alive");
    }

    // --- responses

    int status() {
      try {
        return Integer.parseInt(part(1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad status line: " + startLine, e);
      }
    }

    private String part(int i) {
      String[] parts = startLine.split(" ", 3);
      return i < parts.length ? parts[i] : "";
    }
  }

  /** How a message body is delimited (RFC 9112, 6.3). */
  enum Framing {
    NONE,
    FIXED,
    CHUNKED,
    UNTIL_CLOSE
  }

  /** The framing of a request body: chunked, Content-Length, or none. */
  static Framing requestFraming(Head request) {
    if (isChunked(request)) return Framing.CHUNKED;
    return request.header("Content-Length") != null ? Framing.FIXED : Framing.NONE;
  }

  /** The framing of a response body, which depends on the request (HEAD) and the status. */
  static Framing responseFraming(Head request, Head response) {
    int status = response.status();
    if (request.isHead() || status / 100 == 1 || status == 204 || status == 304) return Framing.NONE;
    if (isChunked(response)) return Framing.CHUNKED;
    return response.header("Content-Length") != null ? Framing.FIXED : Framing.UNTIL_CLOSE;
  }

  private static boolean isChunked(Head head) {
    String te = head.header("Transfer-Encoding");
    return te != null && te.toLowerCase(Locale.ROOT).endsWith("chunked");
  }

  static long contentLength(Head head) {
    try {
      return Long.parseLong(head.header("Content-Length"));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad Content-Length: " + head.header("Content-Length"), e);
    }
  }

  /**
   * Reads a head up to its empty line.
   *
   * @return null when the stream ends before the first byte (the peer closed an idle connection)
   * @throws IOException when it ends within the head, or the head is too long
   */
  static Head readHead(InputStream in) throws IOException {
    String start = readLine(in, true);
    if (start == null) return null;
    if (start.equals(HTTP2_PREFACE_LINE)) return new Head(start, List.of());
    List<String> lines = new ArrayList<>();
    int size = start.length();
    while (true) {
      String line = readLine(in, false);
      if (line.isEmpty()) return new Head(start, lines);
      size += line.length();
      if (size > MAX_HEAD_BYTES) throw new IOException("HTTP head longer than " + MAX_HEAD_BYTES + " bytes");
      lines.add(line);
    }
  }

  /** One line without its CRLF (a bare LF also ends it); null at a clean end of stream when allowed. */
  private static String readLine(InputStream in, boolean endAllowed) throws IOException {
    StringBuilder b = new StringBuilder();
    while (true) {
      int c = in.read();
      if (c < 0) {
        if (endAllowed && b.length() == 0) return null;
        throw new EOFException("connection closed within an HTTP head");
      }
      if (c == '\n') {
        int last = b.length() - 1;
        if (last >= 0 && b.charAt(last) == '\r') b.setLength(last);
        return b.toString();
      }
      if (b.length() >= MAX_HEAD_BYTES) throw new IOException("HTTP line longer than " + MAX_HEAD_BYTES + " bytes");
      b.append((char) c);
    }
  }

  /** Where a body's bytes go: straight on, or paced (a slow body). */
  interface Sink {
    void write(byte[] b, int off, int len) throws IOException;

    /** Called when no more input is waiting, so what was written reaches the peer without delay. */
    void flush() throws IOException;

    static Sink of(OutputStream out) {
      return new Sink() {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
          out.flush();
        }
      };
    }
  }

  /** Copies one body of the given framing from {@code in} to {@code out}, framing bytes included. */
  static void copyBody(Framing framing, Head head, InputStream in, Sink out) throws IOException {
    switch (framing) {
      case NONE -> { }
      case FIXED -> copyFixed(in, out, contentLength(head));
      case CHUNKED -> copyChunked(in, out);
      case UNTIL_CLOSE -> copyFixed(in, out, Long.MAX_VALUE);
    }
    out.flush();
  }

  /** Reads and drops one body (of a request the proxy answers itself). */
  static void skipBody(Framing framing, Head head, InputStream in) throws IOException {
    copyBody(framing, head, in, Sink.of(OutputStream.nullOutputStream()));
  }

  /** Reads a whole body into memory (small SNS forms, to find their Action). */
  static byte[] readBody(Framing framing, Head head, InputStream in) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    copyBody(framing, head, in, Sink.of(buffer));
    return buffer.toByteArray();
  }

  /** Copies {@code length} bytes, or until the end of the stream when length is {@link Long#MAX_VALUE}. */
  private static void copyFixed(InputStream in, Sink out, long length) throws IOException {
    byte[] buf = new byte[COPY_BUFFER_BYTES];
    long left = length;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        if (length == Long.MAX_VALUE) return;
        throw new EOFException("connection closed with " + left + " body bytes still due");
      }
      out.write(buf, 0, n);
      if (length != Long.MAX_VALUE) left -= n;
      if (in.available() == 0) out.flush();
    }
  }

  /** Copies a chunked body: every chunk, the last chunk and the trailers, as they came. */
  private static void copyChunked(InputStream in, Sink out) throws IOException {
    while (true) {
      String sizeLine = readLine(in, false);
      writeLine(out, sizeLine);
      int ext = sizeLine.indexOf(';');
      long size;
      try {
        size = Long.parseLong((ext < 0 ? sizeLine : sizeLine.substring(0, ext)).trim(), HEX);
      } catch (NumberFormatException e) {
        throw new IOException("bad chunk size line: " + sizeLine, e);
      }
      if (size == 0) {
        while (true) { // trailers, up to the empty line
          String trailer = readLine(in, false);
          writeLine(out, trailer);
          if (trailer.isEmpty()) return;
        }
      }
      copyFixed(in, out, size);
      String end = readLine(in, false);
      if (!end.isEmpty()) throw new IOException("chunk not followed by CRLF");
      writeLine(out, end);
    }
  }

  private static void writeLine(Sink out, String line) throws IOException {
    byte[] bytes = line.getBytes(StandardCharsets.ISO_8859_1);
    out.write(bytes, 0, bytes.length);
    out.write(CRLF, 0, CRLF.length);
  }

  /** Parses {@code a=1&b=x%20y}; a name without '=' maps to "". */
  static Map<String, String> form(String encoded) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : encoded.split("&")) {
      if (pair.isEmpty()) continue;
      int eq = pair.indexOf('=');
      String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.putIfAbsent(name, value);
    }
    return out;
  }
}
