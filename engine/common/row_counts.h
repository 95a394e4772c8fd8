// RowCounts: the four figures every account of a mapping's rows gives: rows read from the
// source, written to the target, rejected (set aside with a reason), and skipped (skip_existing:
// the row was there already). Records that carry them with more (a range's checkpoint, a
// mapping's result, a report's table) derive from it, so the figures have one name and one sum.
//
// Thread-safety: a plain value.
#pragma once

namespace mapengine {

struct RowCounts {
  long long read = 0, written = 0, rejected = 0, skipped = 0;

  RowCounts& operator+=(const RowCounts& other) {
    read += other.read;
    written += other.written;
    rejected += other.rejected;
    skipped += other.skipped;
    return *this;
  }
  bool operator==(const RowCounts&) const = default;
};

}  // namespace mapengine
