// libFuzzer target for the COPY text codec (engine/source/copy_text_decoder.h and
// engine/sink/copy_text_encoder.h). Build and run with fuzz/run.sh. Each input is used twice:
//
//  1. As COPY data: every line is decoded as a row. A row that decodes has one field per tab
//     (after its newline is dropped); fields without a backslash view the row instead of copying
//     it. Encoding the decoded fields and decoding that row again gives the same fields.
//  2. As raw values: the bytes split at NUL bytes are the values, a value starting with byte 0x01
//     is NULL. Encoding them as one row and decoding it gives exactly those values back.
//
// Any crash, sanitizer report, leak or broken property aborts (a finding).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sink/copy_text_encoder.h"
#include "engine/source/copy_text_decoder.h"

namespace {

using mapengine::CopyTextDecoder;
using mapengine::Value;

[[noreturn]] void fail(const char* what, std::string_view row) {
  std::fprintf(stderr, "copy_text_fuzz: %s (row of %zu bytes)\n", what, row.size());
  std::abort();
}

std::string encode_row(const std::vector<Value>& fields) {
  std::string row;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) row.push_back('\t');
    mapengine::append_copy_field(row, fields[i]);
  }
  row.push_back('\n');
  return row;
}

// Encodes `values` as one row, decodes it, and requires the same values back.
void check_round_trip(const std::vector<Value>& values) {
  const std::string row = encode_row(values);
  std::vector<Value> decoded;
  if (!CopyTextDecoder::decode_row(row, decoded)) fail("an encoded row does not decode", row);
  if (decoded.size() != values.size()) fail("an encoded row decodes to another field count", row);
  for (size_t i = 0; i < values.size(); ++i) {
    if (!(decoded[i] == values[i])) fail("a field does not survive encode + decode", row);
  }
}

void check_copy_row(std::string_view line) {
  std::vector<Value> fields;
  if (!CopyTextDecoder::decode_row(line, fields)) return;
  std::string_view content = line;
  if (!content.empty() && content.back() == '\n') content.remove_suffix(1);
  const size_t tabs = static_cast<size_t>(std::count(content.begin(), content.end(), '\t'));
  if (fields.size() != tabs + 1) fail("a decoded row has a field count other than tabs + 1", line);

  size_t start = 0;
  for (const Value& field : fields) {
    const size_t tab = std::min(content.find('\t', start), content.size());
    const std::string_view raw = content.substr(start, tab - start);
    if (field.is_null() != (raw == "\\N")) fail("NULL is not exactly \\N", line);
    if (!field.is_null() && raw.find('\\') == std::string_view::npos &&
        (field.text() != raw || field.text().data() != raw.data())) {
      fail("a field without escapes is not a view of the row", line);
    }
    start = tab + 1;
  }
  check_round_trip(fields);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // 1. COPY data, one row per line (each line keeps its newline, as the source hands it over).
  for (size_t start = 0; start < input.size();) {
    const size_t end = input.find('\n', start);
    const size_t stop = end == std::string_view::npos ? input.size() : end + 1;
    check_copy_row(input.substr(start, stop - start));
    start = stop;
  }

  // 2. Raw values.
  std::vector<Value> values;
  for (size_t start = 0;;) {
    const size_t end = input.find('\0', start);
    const std::string_view part =
        input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    values.push_back(!part.empty() && part[0] == '\x01' ? Value::null() : Value::view(part));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  check_round_trip(values);
  return 0;
}
