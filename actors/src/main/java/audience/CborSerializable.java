package audience;

/**
 * Marker for every message and event that crosses the network or the journal: serialised with Jackson CBOR
 * (see serialization-bindings in audience-pekko.conf). Events are versioned by adding fields with defaults,
 * never by renaming or removing them, so an old journal still replays.
 */
public interface CborSerializable {}
