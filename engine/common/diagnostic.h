// Diagnostic: one lint finding (`file:line:col: error|warning: message [rule-id]`), and
// Diagnostics: the list a load or lint pass appends to. Findings are values, never exceptions.
//
// Thread-safety: none; one Diagnostics per pass.
#pragma once

#include <string>
#include <vector>

#include "engine/common/error.h"

namespace mapengine {

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLocation where;
  std::string message;
  std::string rule;  // stable rule id, e.g. "unknown-transform"; listed in docs/mapping-spec.md

  // "file:line:col: error: message [rule]"
  std::string to_string() const;
};

class Diagnostics {
 public:
  void error(const SourceLocation& where, std::string rule, std::string message);
  void warning(const SourceLocation& where, std::string rule, std::string message);
  void add(Diagnostic diagnostic) { items_.push_back(std::move(diagnostic)); }

  const std::vector<Diagnostic>& items() const { return items_; }
  size_t error_count() const;
  size_t warning_count() const;
  bool has_errors() const { return error_count() > 0; }
  // Sorts by file, line, column (stable), for deterministic output.
  void sort();

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace mapengine
