#include "engine/follow/followed_table.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/common/error.h"

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

  ReplicaIdentity identity = replica_identity(source, table);
  for (const std::string& column : followed.key_columns) {
    if (identity.all || std::find(identity.columns.begin(), identity.columns.end(), column) !=
                            identity.columns.end()) {
      continue;
    }
    pg::QualifiedName name{followed.schema, followed.name};
    throw Error(ErrorKind::kConflict,
                fmt::format("mapping {} cannot be followed: a DELETE of {} would not carry its "
                            "key column {} (the table's replica identity is {}); run ALTER "
                            "TABLE {} REPLICA IDENTITY FULL on the source, or make the key its "
                            "primary key",
                            mapping.name, name.display(), column,
                            identity.setting == 'n'   ? "NOTHING"
                            : identity.setting == 'd' ? "DEFAULT: its primary key"
                                                      : "USING INDEX",
                            name.quoted()));
  }
  return followed;
}

}  // namespace mapengine::follow
