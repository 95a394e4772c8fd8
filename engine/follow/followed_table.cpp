#include "engine/follow/followed_table.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/common/error.h"
#include "engine/pg/quote.h"

namespace mapengine::follow {
namespace {

int column_index(const pg::Result& result, const std::string& name) {
  for (int c = 0; c < result.columns(); ++c) {
    if (result.column_name(c) == name) return c;
  }
  return -1;
}

// The table's replica identity and the columns a DELETE carries under it (all for FULL).
struct ReplicaIdentity {
  char setting = 'd';
  std::vector<std::string> columns;
  bool all = false;
};

ReplicaIdentity replica_identity(pg::Connection& source, Oid table) {
  std::string oid = std::to_string(table);
  pg::Result kind = source.exec("SELECT relreplident FROM pg_class WHERE oid = $1::oid", {oid});
  ReplicaIdentity identity;
  identity.setting = kind.rows() == 1 ? kind.value(0, 0)[0] : 'n';
  if (identity.setting == 'f') {
    identity.all = true;
    return identity;
  }
  if (identity.setting == 'n') return identity;
  // 'd': the primary key; 'i': the index marked as replica identity.
  pg::Result columns = source.exec(
      "SELECT a.attname FROM pg_index i "
      "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
      "WHERE i.indrelid = $1::oid AND (CASE WHEN $2 = 'd' THEN i.indisprimary "
      "ELSE i.indisreplident END)",
      {oid, std::string(1, identity.setting)});
  for (int r = 0; r < columns.rows(); ++r) identity.columns.emplace_back(columns.value(r, 0));
  return identity;
}

// Throws Error(kConflict) when a DELETE of `table` would not carry `columns` under its replica
// identity, with the statement that fixes it.
void require_in_identity(pg::Connection& source, Oid table, const pg::QualifiedName& name,
                         const std::vector<std::string>& columns, const std::string& mapping,
                         const char* what) {
  ReplicaIdentity identity = replica_identity(source, table);
  for (const std::string& column : columns) {
    if (identity.all || std::find(identity.columns.begin(), identity.columns.end(), column) !=
                            identity.columns.end()) {
      continue;
    }
    throw Error(ErrorKind::kConflict,
                fmt::format("mapping {} cannot be followed: a DELETE of {} would not carry its "
                            "{} {} (the table's replica identity is {}); run ALTER "
                            "TABLE {} REPLICA IDENTITY FULL on the source, or make the column "
                            "its primary key",
                            mapping, name.display(), what, column,
                            identity.setting == 'n'   ? "NOTHING"
                            : identity.setting == 'd' ? "DEFAULT: its primary key"
                                                      : "USING INDEX",
                            name.quoted()));
  }
}

}  // namespace

FollowedTable find_followed_table(pg::Connection& source, const spec::MappingSpec& mapping) {
  pg::Result described =
      source.exec(fmt::format("SELECT * FROM ({}\n) q LIMIT 0", mapping.source_query));
  Oid table = InvalidOid;
  std::vector<int> attributes;
  for (const std::string& key : mapping.key) {
    int c = column_index(described, key);
    Oid origin = c < 0 ? InvalidOid : PQftable(described.get(), c);
    if (origin == InvalidOid) {
      throw Error(ErrorKind::kSpec,
                  fmt::format("{}: mapping {} cannot be followed: its key column {} is computed, "
                              "not read from a table; following needs the key read as it is "
                              "from the table that drives the query",
                              mapping.at("source.key").to_string(), mapping.name, key));
    }
    if (table != InvalidOid && origin != table) {
      throw Error(ErrorKind::kSpec,
                  fmt::format("{}: mapping {} cannot be followed: its key columns come from "
                              "different tables; following needs one table that drives the query",
                              mapping.at("source.key").to_string(), mapping.name));
    }
    table = origin;
    attributes.push_back(PQftablecol(described.get(), c));
  }

  pg::Result names = source.exec(
      "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.oid = $1::oid",
      {std::to_string(table)});
  FollowedTable followed;
  followed.schema = std::string(names.value(0, 0));
  followed.name = std::string(names.value(0, 1));
  followed.mappings = {mapping.name};
  for (int attribute : attributes) {
    pg::Result column = source.exec(
        "SELECT attname FROM pg_attribute WHERE attrelid = $1::oid AND attnum = $2::int",
        {std::to_string(table), std::to_string(attribute)});
    followed.key_columns.emplace_back(column.value(0, 0));
  }

  require_in_identity(source, table, {followed.schema, followed.name}, followed.key_columns,
                      mapping.name, "key column");
  return followed;
}

std::vector<FollowedTable> find_joined_tables(pg::Connection& source,
                                              const spec::MappingSpec& mapping,
                                              const FollowedTable& driving) {
  std::vector<FollowedTable> out;
  for (size_t i = 0; i < mapping.follow.also.size(); ++i) {
    const spec::JoinedTable& joined = mapping.follow.also[i];
    std::string where = mapping.at(fmt::format("follow.also[{}]", i)).to_string();
    pg::Result found = source.exec(
        "SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
        "c.relnamespace WHERE c.oid = to_regclass($1)",
        {joined.table.quoted()});
    if (found.rows() != 1) {
      throw Error(ErrorKind::kSpec,
                  fmt::format("{}: follow.also: the source has no table {}", where,
                              joined.table.display()));
    }
    Oid table = static_cast<Oid>(std::stoul(std::string(found.value(0, 0))));
    FollowedTable followed;
    followed.schema = std::string(found.value(0, 1));
    followed.name = std::string(found.value(0, 2));
    JoinTrigger trigger{mapping.name, i, {}};
    auto require_column = [&](const pg::QualifiedName& in, const std::string& name) {
      pg::Result has = source.exec(
          "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND "
          "attnum > 0 AND NOT attisdropped",
          {in.quoted(), name});
      if (has.rows() == 0) {
        throw Error(ErrorKind::kSpec,
                    fmt::format("{}: follow.also joins on {}, which is not a column of {}", where,
                                name, in.display()));
      }
    };
    for (const auto& [driving_column, column] : joined.join) {
      require_column({driving.schema, driving.name}, driving_column);
      require_column({followed.schema, followed.name}, column);
      trigger.columns.push_back(column);
    }
    require_in_identity(source, table, {followed.schema, followed.name}, trigger.columns,
                        mapping.name, "follow.also join column");
    followed.joined.push_back(std::move(trigger));
    out.push_back(std::move(followed));
  }
  return out;
}

std::string joined_keys_sql(pg::Connection& source, const spec::MappingSpec& mapping,
                            const FollowedTable& driving, size_t also,
                            const std::set<std::vector<std::string>>& values) {
  const spec::JoinedTable& joined = mapping.follow.also.at(also);
  std::vector<std::string> keys, columns, tuples;
  for (const auto& k : driving.key_columns) keys.push_back("d." + pg::quote_identifier(k));
  for (const auto& pair : joined.join) columns.push_back("d." + pg::quote_identifier(pair.first));
  // Untyped literals: each takes its driving column's type, as apply's key reads do.
  for (const auto& tuple : values) {
    std::vector<std::string> literals;
    for (const std::string& part : tuple) literals.push_back(source.quote_literal(part));
    tuples.push_back(fmt::format("({})", fmt::join(literals, ", ")));
  }
  return fmt::format("SELECT {} FROM {} d WHERE ({}) IN ({})", fmt::join(keys, ", "),
                     pg::QualifiedName{driving.schema, driving.name}.quoted(),
                     fmt::join(columns, ", "), fmt::join(tuples, ", "));
}

}  // namespace mapengine::follow
