#include "engine/apply/batch_builder.h"

#include <fmt/format.h>

#include <unordered_set>

#include "engine/common/error.h"
#include "engine/source/copy_text_decoder.h"

namespace mapengine {

void BatchBuilder::decode(std::string_view row) {
  if (!CopyTextDecoder::decode_row(row, fields_) ||
      fields_.size() != program_.source_columns().size()) {
    throw Error(ErrorKind::kData, fmt::format("{}: malformed row from the source: {}",
                                              program_.mapping().name, row.substr(0, 200)));
  }
}

void BatchBuilder::fetch_batched_lookups(const RowBlock& block, pg::Connection& lookups) {
  const auto& slots = program_.batched_columns();
  std::vector<std::unordered_set<std::string>> wanted(slots.size());
  std::string value;
  size_t begin = 0;
  for (size_t end : block.ends) {
    decode(std::string_view(block.data).substr(begin, end - begin));
    begin = end;
    for (size_t slot = 0; slot < slots.size(); ++slot) {
      for (size_t column : slots[slot]) {
        if (program_.lookup_value(fields_, column, scratch_, value)) wanted[slot].insert(value);
      }
    }
  }
  for (size_t slot = 0; slot < slots.size(); ++slot) {
    std::vector<std::string_view> values(wanted[slot].begin(), wanted[slot].end());
    program_.batched()[slot]->fetch(lookups, values, scratch_.batch_tables[slot]);
  }
}

void BatchBuilder::build(const RowBlock& block, pg::Connection* lookups, Batch& batch) {
  batch.clear();
  batch.rows.reserve(block.ends.size());
  if (!program_.batched().empty()) {
    if (lookups == nullptr) throw Error::internal("batched lookups need a target connection");
    fetch_batched_lookups(block, *lookups);
  }
  size_t begin = 0;
  for (size_t end : block.ends) {
    decode(std::string_view(block.data).substr(begin, end - begin));
    begin = end;
    ++batch.rows_read;
    size_t offset = batch.encoded.size();
    RowResult result = program_.process(fields_, scratch_, batch.encoded);
    if (result.ok) {
      batch.rows.push_back(
          {scratch_.legacy_key, std::move(result.id), offset, batch.encoded.size()});
      for (auto& ref : result.pending) batch.pending.push_back(std::move(ref));
    } else {
      batch.rejects.push_back(std::move(result.reject));
    }
    if (end == block.ends.back()) batch.last_key = program_.key_parts(fields_);
  }
}

}  // namespace mapengine
