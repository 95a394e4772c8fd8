// Encoding of values into PostgreSQL COPY text format (see source/copy_text_decoder.h); the
// escaping itself is pg/copy_text.h's.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "engine/common/value.h"
#include "engine/pg/copy_text.h"

namespace mapengine {

// Appends one field: \N for NULL, else the escaped text.
inline void append_copy_field(std::string& out, const Value& value) {
  if (value.is_null()) {
    out.append("\\N");
  } else {
    append_copy_escaped(out, value.text());
  }
}

}  // namespace mapengine
