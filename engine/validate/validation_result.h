// The outcome of `mapengine validate`: per mapping, one CheckResult per check (counts, content,
// references, each declared check), each PASS or FAIL with a one-line summary, detail lines and
// machine-readable figures. The same model is printed as text, printed as JSON, and stored in
// mapengine.validations.result, where `mapengine report` reads it back.
//
// Thread-safety: plain values.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mapengine::validate {

enum class DifferenceKind { kMissing, kExtra, kChanged };
std::string_view to_string(DifferenceKind kind);

// One row (or one value of a row) that differs between what the mapping produces and the target.
struct Difference {
  DifferenceKind kind = DifferenceKind::kChanged;
  std::string legacy_key;
  std::string column;                   // kChanged: the target column
  std::optional<std::string> expected;  // kChanged: what the mapping produces (nullopt = NULL)
  std::optional<std::string> actual;    // kChanged: what the target holds (nullopt = NULL)
  std::string note;                     // why, when known ("rejected by apply: ...")

  nlohmann::json to_json() const;
  std::string to_text() const;  // "changed legacy key 42, column email: expected 'a', actual 'b'"
};

struct CheckResult {
  std::string check;  // counts, content, references, not_null, unique, accepted_values, ...
  std::string label;  // what a person reads: "not_null [profile_id, email]", a declared name
  bool ok = true;
  std::string summary;                  // one line
  std::vector<std::string> details;     // further lines: explanations, examples
  std::vector<Difference> differences;  // content: named rows, a bounded sample
  nlohmann::json figures = nlohmann::json::object();

  nlohmann::json to_json() const;
};

struct MappingValidation {
  std::string mapping;
  std::string table;
  std::string file;
  std::string checksum;
  bool ok = true;
  double seconds = 0;
  std::vector<CheckResult> checks;

  void add(CheckResult check) {
    ok = ok && check.ok;
    checks.push_back(std::move(check));
  }
  nlohmann::json to_json() const;
};

struct ValidationSummary {
  long long run_id = 0;
  bool ok = true;
  double seconds = 0;
  std::vector<MappingValidation> mappings;

  nlohmann::json to_json() const;
  // A line per check with PASS/FAIL and its details, grouped by mapping, then a verdict line.
  std::string to_text() const;
};

// Shortens `text` to at most `max_chars` characters (UTF-8 aware), ending with "…" when cut.
std::string shorten(std::string_view text, size_t max_chars);
// 1234567 -> "1,234,567".
std::string group_thousands(long long n);
// 'text' for values, NULL for nullopt; shortened to `max_chars`.
std::string quote_value(const std::optional<std::string>& value, size_t max_chars = 80);

}  // namespace mapengine::validate
