// TargetTable: what validation needs to know about a mapping's target table (its columns and
// their types, read from the catalog) and how to name one of its rows in a finding: by the
// canonical legacy key text, the same text the id map, the rejects and the source side use.
//
// Thread-safety: plain values after load(); the functions are pure.
#pragma once

#include <map>
#include <string>

#include "engine/pg/connection.h"
#include "engine/pg/transaction.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::validate {

class TargetTable {
 public:
  // Reads the columns of `table`. Throws Error(kSpec) when the table does not exist.
  static TargetTable load(pg::Connection& target, const pg::QualifiedName& table);

  // The column's type as format_type() prints it ("numeric(10,2)"). Throws Error(kSpec) naming
  // the table when the column does not exist.
  const std::string& type_of(const std::string& column) const;
  bool has(const std::string& column) const { return types_.count(column) > 0; }
  const pg::QualifiedName& name() const { return name_; }

 private:
  pg::QualifiedName name_;
  std::map<std::string, std::string> types_;
};

// A read-only transaction for one check's statements, with room for the hash joins and sorts of
// whole-table checks (SET LOCAL work_mem, no statement timeout). Rolled back when it ends: the
// checks never write, and an error in one check leaves the next one a clean connection.
class CheckTransaction {
 public:
  explicit CheckTransaction(pg::Connection& target);
  CheckTransaction(const CheckTransaction&) = delete;
  CheckTransaction& operator=(const CheckTransaction&) = delete;

 private:
  pg::Transaction transaction_;  // never committed
};

// SQL (over `t`) giving the text the id map keeps as a row's new id: its id column as text, or
// for an association the canonical key text of its id columns (as apply computes it).
std::string id_expr(const spec::MappingSpec& mapping);
// Whether `table` has every id column of `mapping`.
bool has_id_columns(const spec::MappingSpec& mapping, const TargetTable& table);

// SQL (over the target row alias `t`) giving the canonical legacy key text of a row written by
// `mapping`: its legacy key column(s), else its entry in mapengine.id_map; NULL when it has none.
// `quoting` quotes the mapping name as a literal.
std::string legacy_key_expr(const spec::MappingSpec& mapping, const TargetTable& table,
                            const pg::Connection& quoting);

// SQL (over `t`) naming a row in findings: "legacy key 42", else "id <id>".
std::string row_label_expr(const spec::MappingSpec& mapping, const TargetTable& table,
                           const pg::Connection& quoting);

}  // namespace mapengine::validate
