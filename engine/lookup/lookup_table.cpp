#include "engine/lookup/lookup_table.h"

#include <fmt/format.h>

#include <vector>

#include "engine/common/error.h"
#include "engine/pg/quote.h"
#include "engine/source/copy_text_decoder.h"

namespace mapengine {

std::string LookupTarget::select_sql() const {
  if (table.name.empty()) {
    // The mapping name is a spec value: quoted as a SQL string literal by doubling quotes.
    std::string literal = "'";
    for (char c : mapping) {
      if (c == '\'') literal += '\'';
      literal += c;
    }
    literal += "'";
    return fmt::format(
        "SELECT legacy_key, new_id FROM mapengine.id_maps WHERE mapping = {}", literal);
  }
  std::string m = pg::quote_identifier(match);
  return fmt::format("SELECT {}::text, {}::text FROM {} WHERE {} IS NOT NULL", m,
                     pg::quote_identifier(returns), table.quoted(), m);
}

std::string LookupTarget::describe() const {
  if (table.name.empty()) return fmt::format("id map of mapping {}", mapping);
  return fmt::format("{}.{} -> {}", table.display(), match, returns);
}

LookupTarget resolve_lookup(const spec::LookupSpec& lookup, const spec::MappingSpec& owner,
                            const spec::Project& project) {
  LookupTarget target;
  if (!lookup.mapping.empty()) {
    const spec::MappingSpec* producer = project.find_mapping(lookup.mapping);
    if (producer == nullptr) {
      throw Error::spec(lookup.where, fmt::format("lookup into unknown mapping {}", lookup.mapping));
    }
    target.mapping = producer->name;
    target.self = producer->name == owner.name;
    if (!producer->legacy_key_columns.empty()) {  // its id map is its legacy column
      target.table = producer->table;
      target.match = producer->legacy_key_columns.front();
      target.returns = producer->id_column;
    }
    return target;
  }
  std::vector<std::string> legacy;
  std::string id_column = "id";
  const spec::MappingSpec* producer = nullptr;
  if (lookup.table == owner.name || lookup.table == owner.table.name ||
      lookup.table == owner.table.display()) {
    producer = &owner;
  } else {
    producer = project.find_mapping(lookup.table);
  }
  if (producer != nullptr) {
    target.table = producer->table;
    target.mapping = producer->name;
    target.self = producer == &owner || producer->name == owner.name;
    legacy = producer->legacy_key_columns;
    id_column = producer->id_column;
  } else if (const spec::MigratedTable* migrated = project.find_migrated(lookup.table)) {
    target.table = migrated->table;
    legacy = migrated->legacy_key_columns;
    id_column = migrated->id_column;
  } else {
    target.table = pg::parse_qualified_name(lookup.table);
  }
  target.match = !lookup.match.empty() ? lookup.match : (legacy.size() == 1 ? legacy[0] : "");
  target.returns = !lookup.returns.empty() ? lookup.returns : id_column;
  if (target.match.empty()) {
    if (producer != nullptr && legacy.empty()) {
      // A producer without a legacy column keeps its ids in the engine's id map.
      target.table = {};
      return target;
    }
    throw Error::spec(lookup.where,
                      fmt::format("lookup into {} needs `match`: the column holding the legacy "
                                  "value (the table declares no single legacy_key)",
                                  lookup.table));
  }
  return target;
}

void LookupTable::insert(std::string legacy, std::string id) {
  if (!map_.emplace(std::move(legacy), std::move(id)).second) ++duplicates_;
}

LookupTable LookupTable::load(pg::Connection& target, const LookupTarget& where) {
  LookupTable table;
  std::vector<Value> fields;
  target.copy_out(fmt::format("COPY ({}) TO STDOUT", where.select_sql()),
                  [&](std::string_view row) {
                    if (!CopyTextDecoder::decode_row(row, fields) || fields.size() != 2 ||
                        fields[0].is_null() || fields[1].is_null()) {
                      return true;
                    }
                    table.insert(std::string(fields[0].text()), std::string(fields[1].text()));
                    return true;
                  });
  return table;
}

}  // namespace mapengine
