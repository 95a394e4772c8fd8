#include "engine/state/bulk_definitions.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/common/error.h"
#include "engine/pg/quote.h"
#include "engine/pg/transaction.h"
#include "engine/state/legacy_key.h"

namespace mapengine::state {
namespace {

// One recorded definition, as read back from mapengine.bulk_definitions.
struct Definition {
  std::string kind;  // foreign_key, index
  std::string name;
  std::string definition;
  bool validated = true;  // a foreign key that was valid before: VALIDATE after re-adding
  bool added = false;     // a foreign key re-added NOT VALID, its VALIDATE pending
  pg::QualifiedName table;
  std::vector<std::string> columns, referenced_columns;
  std::string referenced_table;  // as regclass prints it (quoted where needed)
  bool match_full = false;
  bool self_reference = false;  // the table references itself
};

std::vector<std::string> json_strings(std::string_view text) {
  if (text.empty()) return {};
  return nlohmann::json::parse(text).get<std::vector<std::string>>();
}

std::vector<Definition> load_definitions(pg::Connection& target, const std::string& mapping) {
  pg::Result rows = target.exec(
      "SELECT kind, name, definition, validated, added, table_schema, table_name, "
      "COALESCE(array_to_json(columns)::text, ''), COALESCE(referenced_table, ''), "
      "COALESCE(array_to_json(referenced_columns)::text, ''), match_full, "
      "COALESCE(to_regclass(referenced_table) = to_regclass(format('%I.%I', table_schema, "
      "table_name)), false) "
      "FROM mapengine.bulk_definitions WHERE mapping = $1 ORDER BY kind DESC, name",
      {mapping});
  std::vector<Definition> out;
  for (int r = 0; r < rows.rows(); ++r) {
    Definition d;
    d.kind = rows.value(r, 0);
    d.name = rows.value(r, 1);
    d.definition = rows.value(r, 2);
    d.validated = rows.value(r, 3) == "t";
    d.added = rows.value(r, 4) == "t";
    d.table = {std::string(rows.value(r, 5)), std::string(rows.value(r, 6))};
    d.columns = json_strings(rows.value(r, 7));
    d.referenced_table = rows.value(r, 8);
    d.referenced_columns = json_strings(rows.value(r, 9));
    d.match_full = rows.value(r, 10) == "t";
    d.self_reference = rows.value(r, 11) == "t";
    out.push_back(std::move(d));
  }
  return out;
}

// The foreign key's definition without the " NOT VALID" pg_get_constraintdef adds to one that
// was not valid: re-adding appends its own.
std::string constraint_body(const Definition& d) {
  constexpr std::string_view kNotValid = " NOT VALID";
  std::string body = d.definition;
  if (body.size() > kNotValid.size() &&
      body.compare(body.size() - kNotValid.size(), kNotValid.size(), kNotValid) == 0) {
    body.resize(body.size() - kNotValid.size());
  }
  return body;
}

// Throws Error(kConflict) unless this process holds the mapping's lease; holds the lease row's
// share lock until the transaction ends (a takeover waits for it, as for a batch).
void check_lease(pg::Connection& target, const std::string& mapping,
                 const std::string& lease_owner) {
  if (target
          .exec("SELECT FROM mapengine.mappings WHERE mapping = $1 AND lease_owner = $2 "
                "FOR SHARE",
                {mapping, lease_owner})
          .rows() != 1) {
    throw Error::conflict(fmt::format(
        "{}: this process no longer holds the mapping's lease (another mapengine took it "
        "over); the table's set-aside definitions are left to it",
        mapping));
  }
}

void delete_record(pg::Connection& target, const std::string& mapping, const Definition& d) {
  target.exec(
      "DELETE FROM mapengine.bulk_definitions WHERE mapping = $1 AND kind = $2 AND name = $3",
      {mapping, d.kind, d.name});
}

template <typename Work>
void in_transaction(pg::Connection& target, Work&& work) {
  pg::Transaction tx(target, "SET LOCAL lock_timeout = '1min'");
  work();
  tx.commit();
}

std::vector<std::string> prefixed(const std::string& alias, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(fmt::format("{}.{}", alias, pg::quote_identifier(n)));
  return out;
}

// `text` for format()'s template: '%' doubled.
std::string percent_escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%') out += '%';
    out += c;
  }
  return out;
}

// SQL condition: row `t` breaks foreign key `d` (MATCH SIMPLE: every column set and no
// referenced row; MATCH FULL: also some columns set but not all).
std::string violation(const Definition& d) {
  std::vector<std::string> local = prefixed("t", d.columns);
  std::vector<std::string> remote = prefixed("r", d.referenced_columns);
  std::vector<std::string> set, unset, equal;
  for (size_t i = 0; i < local.size(); ++i) {
    set.push_back(local[i] + " IS NOT NULL");
    unset.push_back(local[i] + " IS NULL");
    equal.push_back(fmt::format("{} = {}", remote[i], local[i]));
  }
  std::string found = fmt::format("EXISTS (SELECT FROM {} r WHERE {})", d.referenced_table,
                                  fmt::join(equal, " AND "));
  if (d.match_full) {
    return fmt::format("NOT (({}) OR ({} AND {}))", fmt::join(unset, " AND "),
                       fmt::join(set, " AND "), found);
  }
  return fmt::format("{} AND NOT {}", fmt::join(set, " AND "), found);
}

// Moves the rows the foreign keys `fks` refuse out of the table into rejects (with the id map
// entries and pending references), inside the caller's transaction; returns how many.
long long refuse_rows(pg::Connection& target, const spec::MappingSpec& mapping, long long run_id,
                      const std::vector<const Definition*>& fks) {
  target.exec(
      "CREATE TEMP TABLE mapengine_refused (legacy_key text, new_id text, column_name text, "
      "value text, reason text) ON COMMIT DROP");
  const bool keeps_key = !mapping.legacy_key_columns.empty();
  std::string legacy_key =
      keeps_key ? legacy_key_sql(prefixed("t", mapping.legacy_key_columns)) : "NULL::text";
  std::string new_id = keeps_key ? "NULL::text" : legacy_key_sql(prefixed("t", mapping.id_columns));
  // A deleted row may leave rows that referenced it through a self-reference without theirs:
  // then repeat until a pass finds none.
  const bool self_reference = std::any_of(fks.begin(), fks.end(), [](const Definition* fk) {
    return fk->self_reference;
  });
  long long total = 0;
  for (bool again = true; again;) {
    again = false;
    for (const Definition* fk : fks) {
      std::string value = fk->columns.size() == 1 ? prefixed("t", fk->columns)[0] + "::text"
                                                  : legacy_key_sql(prefixed("t", fk->columns));
      std::string columns = fmt::format("{}", fmt::join(fk->columns, ", "));
      // The server's own words for such a row, with the value the row holds.
      std::string reason = fmt::format(
          "insert or update on table \"{}\" violates foreign key constraint \"{}\" (Key ({})=(%s) "
          "is not present in table {}.) [found when the constraint was re-added after a bulk "
          "load]",
          percent_escaped(fk->table.name), percent_escaped(fk->name), percent_escaped(columns),
          percent_escaped(fk->referenced_table));
      long long moved =
          target
              .exec(fmt::format(
                        "WITH gone AS (DELETE FROM {} t WHERE {} RETURNING {} AS legacy_key, "
                        "{} AS new_id, {} AS value) "
                        "INSERT INTO mapengine_refused SELECT legacy_key, new_id, {}, value, "
                        "format({}, COALESCE(value, 'null')) FROM gone",
                        fk->table.quoted(), violation(*fk), legacy_key, new_id, value,
                        target.quote_literal(columns), target.quote_literal(reason)))
              .affected();
      if (moved > 0 && self_reference) again = true;
      total += moved;
    }
  }
  if (total == 0) return 0;
  if (!keeps_key) {
    target.exec(
        "UPDATE mapengine_refused f SET legacy_key = i.legacy_key FROM mapengine.id_map i "
        "WHERE i.mapping = $1 AND i.new_id = f.new_id",
        {mapping.name});
    target.exec(
        "DELETE FROM mapengine.id_map i USING mapengine_refused f "
        "WHERE i.mapping = $1 AND i.legacy_key = f.legacy_key",
        {mapping.name});
  }
  target.exec(
      "DELETE FROM mapengine.pending_refs p USING mapengine_refused f "
      "WHERE p.mapping = $1 AND p.legacy_key = f.legacy_key",
      {mapping.name});
  target.exec(
      "INSERT INTO mapengine.rejects (run_id, mapping, legacy_key, column_name, value, rule, "
      "reason) SELECT $1, $2, COALESCE(legacy_key, new_id, '?'), column_name, value, "
      "'constraint', reason FROM mapengine_refused",
      {std::to_string(run_id), mapping.name});
  target.exec(
      "UPDATE mapengine.checkpoints SET rows_written = GREATEST(rows_written - $2, 0), "
      "rows_rejected = rows_rejected + $2, updated_at = clock_timestamp() "
      "WHERE mapping = $1 AND range_no = (SELECT min(range_no) FROM mapengine.checkpoints "
      "WHERE mapping = $1)",
      {mapping.name, std::to_string(total)});
  return total;
}

}  // namespace

bool has_set_aside(pg::Connection& target, const std::string& mapping) {
  return target
             .exec("SELECT FROM mapengine.bulk_definitions WHERE mapping = $1 LIMIT 1", {mapping})
             .rows() == 1;
}

SetAside set_aside_definitions(pg::Connection& target, const spec::MappingSpec& mapping,
                               spec::BulkMode mode, const std::string& lease_owner) {
  SetAside out;
  const std::string table = mapping.table.quoted();
  in_transaction(target, [&] {
    check_lease(target, mapping.name, lease_owner);
    pg::Result recorded = target.exec(
        "SELECT count(*) FILTER (WHERE kind = 'foreign_key'), "
        "count(*) FILTER (WHERE kind = 'index') FROM mapengine.bulk_definitions "
        "WHERE mapping = $1",
        {mapping.name});
    out.foreign_keys = std::stoi(std::string(recorded.value(0, 0)));
    out.indexes = std::stoi(std::string(recorded.value(0, 1)));
    if (out.foreign_keys + out.indexes > 0) {
      out.active = out.resumed = true;
      return;
    }
    pg::Result info = target.exec(
        "SELECT c.relkind, pg_has_role(c.relowner, 'USAGE'), pg_get_userbyid(c.relowner), "
        "current_user FROM pg_class c WHERE c.oid = to_regclass($1)",
        {table});
    if (info.rows() != 1) {
      throw Error(ErrorKind::kDatabase,
                  fmt::format("{}: table {} does not exist", mapping.name,
                              mapping.table.display()),
                  "42P01");
    }
    if (info.value(0, 0) == "p") {
      throw Error(ErrorKind::kDatabase,
                  fmt::format("{}: bulk mode does not support the partitioned table {}; turn "
                              "target.bulk off for it",
                              mapping.name, mapping.table.display()),
                  "0A000");
    }
    if (info.value(0, 1) != "t") {
      throw Error(ErrorKind::kDatabase,
                  fmt::format("{}: bulk mode drops and re-creates the foreign keys of {}, which "
                              "only its owner may do: role {} is not {} nor a member of it; run "
                              "apply as {} (or a member of it), or turn bulk mode off",
                              mapping.name, mapping.table.display(), info.value(0, 3),
                              info.value(0, 2), info.value(0, 2)),
                  "42501");
    }
    target.exec(fmt::format("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", table));
    if (target.exec(fmt::format("SELECT EXISTS (SELECT FROM {})", table)).value(0, 0) == "t") {
      pg::Result written = target.exec(
          "SELECT COALESCE(sum(rows_written), 0) > 0 FROM mapengine.checkpoints "
          "WHERE mapping = $1",
          {mapping.name});
      if (written.value(0, 0) == "t") return;  // a load begun without bulk mode goes on so
      throw Error::conflict(fmt::format(
          "{}: bulk mode needs {} empty at the start, and it has rows this mapping did not "
          "write; empty the table, or turn bulk mode off (target.bulk, apply --bulk)",
          mapping.name, mapping.table.display()));
    }
    // Foreign keys of the table itself (not ones a partition inherits), with what re-checking
    // them needs: their columns and the referenced table's, in key order.
    pg::Result fks = target.exec(
        "INSERT INTO mapengine.bulk_definitions (mapping, table_schema, table_name, kind, name, "
        "definition, validated, columns, referenced_table, referenced_columns, match_full) "
        "SELECT $1, $2, $3, 'foreign_key', c.conname, pg_get_constraintdef(c.oid), "
        "c.convalidated, "
        "ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i) JOIN "
        "pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i), "
        "c.confrelid::regclass::text, "
        "ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i) JOIN "
        "pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i), "
        "c.confmatchtype = 'f' "
        "FROM pg_constraint c WHERE c.conrelid = $4::regclass AND c.contype = 'f' "
        "AND c.coninhcount = 0 AND c.conparentid = 0 RETURNING name",
        {mapping.name, mapping.table.schema, mapping.table.name, table});
    for (int r = 0; r < fks.rows(); ++r) {
      target.exec(fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", table,
                              pg::quote_identifier(fks.value(r, 0))));
    }
    out.foreign_keys = fks.rows();
    if (mode == spec::BulkMode::kWithIndexes) {
      // Secondary indexes that enforce nothing: not unique, not a constraint's.
      pg::Result indexes = target.exec(
          "INSERT INTO mapengine.bulk_definitions (mapping, table_schema, table_name, kind, "
          "name, definition) "
          "SELECT $1, $2, $3, 'index', i.relname, pg_get_indexdef(x.indexrelid) "
          "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
          "WHERE x.indrelid = $4::regclass AND NOT x.indisunique AND NOT x.indisprimary "
          "AND NOT x.indisexclusion AND NOT i.relispartition AND NOT EXISTS (SELECT FROM "
          "pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid) "
          "RETURNING name",
          {mapping.name, mapping.table.schema, mapping.table.name, table});
      for (int r = 0; r < indexes.rows(); ++r) {
        target.exec(fmt::format(
            "DROP INDEX {}",
            pg::QualifiedName{mapping.table.schema, std::string(indexes.value(r, 0))}.quoted()));
      }
      out.indexes = indexes.rows();
    }
    out.active = true;
  });
  return out;
}

Restored restore_definitions(pg::Connection& target, const spec::MappingSpec& mapping,
                             long long run_id, const std::string& lease_owner) {
  const auto started = std::chrono::steady_clock::now();
  Restored out;
  std::vector<Definition> recorded = load_definitions(target, mapping.name);
  if (recorded.empty()) return out;
  std::vector<const Definition*> to_add;
  for (const Definition& d : recorded) {
    if (d.kind == "index") {
      in_transaction(target, [&] {
        check_lease(target, mapping.name, lease_owner);
        target.exec(d.definition);
        delete_record(target, mapping.name, d);
      });
      ++out.indexes;
    } else if (!d.added) {
      to_add.push_back(&d);
    }
  }
  // Usually no row breaks a key (its values came out of lookups into the referenced tables): then
  // every key is re-added and validated in one transaction, one pass over the rows each. Only
  // when one refuses a row are the rows searched first (below). A key that was NOT VALID before
  // still refuses the rows it would have refused on insert, so it always takes the search.
  bool validated_at_once = false;
  std::set<std::string> restored;  // keys re-added and validated at once
  if (!to_add.empty() && std::all_of(to_add.begin(), to_add.end(),
                                     [](const Definition* d) { return d->validated; })) {
    in_transaction(target, [&] {
      validated_at_once = false;
      check_lease(target, mapping.name, lease_owner);
      target.exec(fmt::format("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE",
                              to_add.front()->table.quoted()));
      target.exec("SAVEPOINT mapengine_readd");
      try {
        for (const Definition* d : to_add) {
          target.exec(fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {}", d->table.quoted(),
                                  pg::quote_identifier(d->name), constraint_body(*d)));
          delete_record(target, mapping.name, *d);
        }
        target.exec("RELEASE SAVEPOINT mapengine_readd");
        validated_at_once = true;
      } catch (const Error& e) {
        if (e.sqlstate() != "23503" || !target.is_ok()) throw;
        target.exec("ROLLBACK TO SAVEPOINT mapengine_readd");
      }
    });
    if (validated_at_once) {
      for (const Definition* d : to_add) restored.insert(d->name);
      out.foreign_keys += static_cast<int>(to_add.size());
      to_add.clear();
    }
  }
  if (!to_add.empty()) {
    // The rows are checked and every key re-added under one lock that admits no writer, so no
    // row can slip in between; a deleted row that others referenced is found by the next pass.
    in_transaction(target, [&] {
      check_lease(target, mapping.name, lease_owner);
      target.exec(fmt::format("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE",
                              to_add.front()->table.quoted()));
      out.refused_rows = refuse_rows(target, mapping, run_id, to_add);
      for (const Definition* d : to_add) {
        target.exec(fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {} NOT VALID", d->table.quoted(),
                                pg::quote_identifier(d->name), constraint_body(*d)));
        target.exec(
            "UPDATE mapengine.bulk_definitions SET added = true "
            "WHERE mapping = $1 AND kind = $2 AND name = $3",
            {mapping.name, d->kind, d->name});
      }
    });
  }
  // VALIDATE takes a lock that lets readers and writers of the table go on.
  for (const Definition& d : recorded) {
    if (d.kind != "foreign_key" || restored.count(d.name) > 0) continue;
    in_transaction(target, [&] {
      check_lease(target, mapping.name, lease_owner);
      if (d.validated) {
        target.exec(fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", d.table.quoted(),
                                pg::quote_identifier(d.name)));
      }
      delete_record(target, mapping.name, d);
    });
    ++out.foreign_keys;
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

void restore_definitions_in(pg::Connection& target, const std::string& mapping) {
  if (target.exec("SELECT to_regclass('mapengine.bulk_definitions') IS NULL").value(0, 0) == "t") {
    return;
  }
  for (const Definition& d : load_definitions(target, mapping)) {
    if (d.kind == "index") {
      target.exec(d.definition);
    } else if (!d.added) {
      target.exec(fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {}{}", d.table.quoted(),
                              pg::quote_identifier(d.name), constraint_body(d),
                              d.validated ? "" : " NOT VALID"));
    } else if (d.validated) {
      target.exec(fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", d.table.quoted(),
                              pg::quote_identifier(d.name)));
    }
    delete_record(target, mapping, d);
  }
}

}  // namespace mapengine::state
