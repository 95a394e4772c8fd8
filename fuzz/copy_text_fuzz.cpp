// libFuzzer target for the COPY text codec (engine/source/copy_text_decoder.h and
// engine/sink/copy_text_encoder.h). Build and run with fuzz/run.sh. Each input is used twice:
//
//  1. As COPY data: every line is decoded as a row. A row that decodes has one field per tab
//     (after its newline is dropped); fields without a backslash view the row instead of copying
//     it. Encoding the decoded fields and decoding that row again gives the same fields.
//  2. As raw values: the bytes split at NUL bytes are the values, a value starting with byte 0x01
//     is NULL. Encoding them as one row and decoding it gives exactly those values back.
//  3. The same values through the binary encoder (engine/sink/copy_binary_encoder.h), as every
//     type: a value of a fixed-width type takes exactly its width, a declined one leaves the
//     output as it was; and the COPY text row of part 2 encodes as a binary tuple of as many
//     fields whenever every value was taken.
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

#include "engine/sink/copy_binary_encoder.h"
#include "engine/sink/copy_text_encoder.h"
#include "engine/source/copy_text_decoder.h"

namespace {

using mapengine::BinaryType;
using mapengine::CopyTextDecoder;
using mapengine::Value;

constexpr BinaryType kTypes[] = {
    BinaryType::kText,    BinaryType::kJsonb,  BinaryType::kBool,      BinaryType::kInt2,
    BinaryType::kInt4,    BinaryType::kInt8,   BinaryType::kFloat4,    BinaryType::kFloat8,
    BinaryType::kNumeric, BinaryType::kUuid,   BinaryType::kDate,      BinaryType::kTimestamp,
    BinaryType::kTimestamptz, BinaryType::kBytea};

// The width of a fixed-width type's binary value; 0 for the others.
size_t fixed_width(BinaryType type) {
  switch (type) {
    case BinaryType::kBool: return 1;
    case BinaryType::kInt2: return 2;
    case BinaryType::kInt4: case BinaryType::kFloat4: case BinaryType::kDate: return 4;
    case BinaryType::kInt8: case BinaryType::kFloat8: case BinaryType::kTimestamp:
    case BinaryType::kTimestamptz: return 8;
    case BinaryType::kUuid: return 16;
    default: return 0;
  }
}

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

  // 3. The binary encoder (for rows no wider than a table can be).
  for (BinaryType type : kTypes) {
    if (values.size() > 1600) break;
    bool all_taken = true;
    for (const Value& value : values) {
      if (value.is_null()) continue;
      std::string out = "kept";
      if (!mapengine::append_binary_value(type, value.text(), out)) {
        all_taken = false;
        if (out != "kept") fail("a declined value changed the output", value.text());
        continue;
      }
      if (out.compare(0, 4, "kept") != 0) fail("a value overwrote the output", value.text());
      if (fixed_width(type) != 0 && out.size() - 4 != fixed_width(type)) {
        fail("a fixed-width value has another width", value.text());
      }
    }
    const std::string row = encode_row(values);
    mapengine::CopyBinaryEncoder encoder(std::vector<BinaryType>(values.size(), type));
    std::string tuple = "kept";
    const bool encoded = encoder.encode(row, tuple);
    if (!encoded && tuple != "kept") fail("a declined row changed the output", row);
    if (all_taken && !encoded) fail("a row of values each taken was declined", row);
    if (encoded && (tuple.size() < 6 || static_cast<unsigned char>(tuple[4]) * 256 +
                                                static_cast<unsigned char>(tuple[5]) !=
                                            values.size())) {
      fail("a tuple's field count is not the row's", row);
    }
  }
  return 0;
}
