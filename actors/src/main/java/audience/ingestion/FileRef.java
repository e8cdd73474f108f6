package audience.ingestion;

import audience.CborSerializable;

/** One listed S3 object: its key and stored size (from the listing, so oversize files are refused without a GET). */
public record FileRef(String key, long size) implements CborSerializable {}
