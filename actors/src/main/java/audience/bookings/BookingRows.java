package audience.bookings;

import audience.store.BookingStore.BookingRow;

/** A booking as the bookings read model keeps it (no member data: counts, keys and ids). */
public final class BookingRows {
  private BookingRows() {}

  /**
   * The row of {@code b} at entity sequence number {@code version}; the platform reference names the booking's
   * import jobs by their tags ({@code <bookingId>/<chunk>}).
   */
  public static BookingRow of(Booking b, long version) {
    Booking.Audience a = b.audience();
    Booking.Upload u = b.upload();
    String platformRef = b.chunks().isEmpty() ? "" : "jobs tagged " + b.bookingId() + "/0.." + (b.chunks().size() - 1);
    return new BookingRow(b.bookingId(), b.segmentId(), b.campaign(), b.sendDate(), b.requestedBy(),
        b.status().wire(), b.createdAt(), b.updatedAt(), b.attempts(), b.status() == Booking.Status.FAILED
            ? b.failure() : b.lastError(), a == null ? "" : a.key(), a == null ? 0 : a.members(), platformRef,
        u == null ? 0 : u.imported(), u == null ? 0 : u.rejected(), version);
  }
}
