#include "engine/scaffold/column_conversion.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "engine/scaffold/scaffold_text.h"

namespace mapengine::scaffold {
namespace {

void todo(DraftColumn& c, int& todos, std::string text) {
  c.comments.push_back("TODO: " + std::move(text));
  ++todos;
}

void propose_code_map(const ColumnInfo& s, const ColumnInfo& t, const DistinctSource& distinct,
                      DraftColumn& c, int& todos) {
  DistinctValues found = distinct ? distinct(s) : DistinctValues{};
  const std::vector<std::string>& accepted = t.accepted;
  const std::string accepts = accepted.empty()
                                  ? std::string()
                                  : fmt::format(" (the target accepts {})", quoted_list(accepted));
  if (found.values.empty()) {
    c.comments.push_back(fmt::format("Legacy {} holds no values yet{}.", s.name, accepts));
    return;
  }
  const bool trimmed = !c.steps.empty() && c.steps.back() == "trim";
  auto add_trim = [&] {
    if (!trimmed) c.steps.push_back("trim");
  };
  const std::string seen = quoted_list(found.values);

  // Values already spelled as the target wants, up to blanks and case: no map needed.
  if (!accepted.empty() && !found.more) {
    auto all = [&](const std::function<std::string(const std::string&)>& fold) {
      return std::all_of(found.values.begin(), found.values.end(),
                         [&](const std::string& v) { return contains(accepted, fold(v)); });
    };
    if (all([](const std::string& v) { return v; })) {
      c.comments.push_back(
          fmt::format("Every legacy value ({}) is accepted by the target as it is.", seen));
      return;
    }
    for (std::string_view fold : {"", "lower", "upper"}) {
      auto folded = [&](const std::string& v) {
        std::string out = trim_blanks(v);
        return fold == "lower" ? lower(out) : fold == "upper" ? upper(out) : out;
      };
      if (!all(folded)) continue;
      add_trim();
      if (!fold.empty()) c.steps.push_back(std::string(fold));
      c.comments.push_back(
          fmt::format("Legacy {} holds {}: accepted by the target once {}.", s.name, seen,
                      fold.empty() ? std::string("trimmed")
                                   : fmt::format("trimmed and {}-cased", fold.substr(0, 5))));
      return;
    }
  }

  // Codes: fold spellings that differ only by blanks or case, then map each code.
  std::set<std::string> keys;
  bool folds = false;
  for (const auto& v : found.values) {
    keys.insert(upper(trim_blanks(v)));
    folds = folds || upper(trim_blanks(v)) != v;
  }
  if (folds && keys.size() < found.values.size()) {
    add_trim();
    c.steps.push_back("upper");
  } else {
    keys = std::set<std::string>(found.values.begin(), found.values.end());
    folds = false;
  }
  std::string entries;
  bool open = false;
  for (const auto& key : keys) {
    if (!entries.empty()) entries += ", ";
    const bool known = contains(accepted, key);
    open = open || !known;
    entries += fmt::format("{}: {}", yaml_quoted(key), known ? yaml_scalar(key) : kTodoValue);
  }
  c.steps.push_back(fmt::format("{{ map: {{ {} }}, on_unmapped: reject }}", entries));
  c.comments.push_back(fmt::format(
      "Legacy {} holds codes: {}{}{}.", s.name,
      found.more ? fmt::format("the first {} distinct values are ", kMaxCodes) : "", seen,
      folds ? "; trim and upper fold the spellings that differ only by blanks or case" : ""));
  if (found.more) {
    c.comments.push_back("There are more: a row with a code the map lacks is rejected.");
  }
  if (open) todo(c, todos, fmt::format("the new value of each code{}.", accepts));
}

}  // namespace

int propose_conversion(const ColumnInfo& s, const ColumnInfo& t, const DistinctSource& distinct,
                       DraftColumn& c) {
  int todos = 0;
  const TypeFamily sf = s.family, tf = t.family;
  const bool trim_padding = sf == TypeFamily::kChar && s.length != 1;
  if ((is_textual(tf) || tf == TypeFamily::kEnum) && is_textual(sf)) {
    if (trim_padding) {
      c.steps.push_back("trim");
      c.comments.push_back(fmt::format("Legacy {} is blank-padded {}.", s.name, s.type));
    }
    if (s.length == 1 || !t.accepted.empty() || tf == TypeFamily::kEnum) {
      propose_code_map(s, t, distinct, c, todos);
    }
    if (t.length > 0 && (s.length < 0 || s.length > t.length)) {
      c.comments.push_back(fmt::format(
          "Legacy {} is {}, the target {}: a longer value is rejected by the server (or add "
          "{{ truncate: {} }}).",
          s.name, s.type, t.type, t.length));
    }
    return todos;
  }
  if (tf == TypeFamily::kTimestamptz && (sf == TypeFamily::kTimestamp || sf == TypeFamily::kDate)) {
    c.steps.push_back(fmt::format("{{ assume_timezone: {} }}", kTodoZone));
    todo(c, todos,
         fmt::format("replace TODO_ZONE by the time zone of legacy {}'s "
                     "wall-clock times ({}), e.g. America/Chicago; the target "
                     "stores instants.",
                     s.name, s.type));
    return todos;
  }
  if (tf == TypeFamily::kTimestamp && sf == TypeFamily::kTimestamptz) {
    todo(c, todos,
         fmt::format("legacy {} holds instants, the target wall-clock time: add "
                     "{{ convert_timezone: {{ from: UTC, to: <zone> }} }} or confirm that "
                     "the server's TimeZone is right.",
                     s.name));
    return todos;
  }
  if (tf == TypeFamily::kInteger && sf == TypeFamily::kNumeric) {
    if (t.name.find("cents") != std::string::npos) {
      c.steps.push_back("{ scale: 100 }");
      c.comments.push_back(
          fmt::format("Legacy {} dollars to whole cents (exact; a fraction of "
                      "a cent is rejected).",
                      s.type));
    } else if (s.scale != 0) {
      c.steps.push_back("to_int");
      c.comments.push_back(fmt::format(
          "Legacy {} is {}: to_int rejects a value with a fractional part (option rounding: "
          "rounds it).",
          s.name, s.type));
    }
    return todos;
  }
  if (tf == TypeFamily::kInteger && sf == TypeFamily::kFloat) {
    c.steps.push_back("to_int");
    c.comments.push_back(
        fmt::format("Legacy {} is {}: to_int rejects a fractional value.", s.name, s.type));
    return todos;
  }
  if ((tf == TypeFamily::kInteger || tf == TypeFamily::kNumeric) && is_textual(sf)) {
    c.steps.push_back("trim");
    c.steps.push_back(tf == TypeFamily::kInteger ? "to_int" : "to_numeric");
    c.comments.push_back(
        fmt::format("Legacy {} is {}: read as a number; anything else is "
                    "rejected.",
                    s.name, s.type));
    return todos;
  }
  if (tf == TypeFamily::kBoolean && (is_textual(sf) || sf == TypeFamily::kInteger)) {
    c.steps.push_back("boolean");
    DistinctValues found = distinct ? distinct(s) : DistinctValues{};
    static const std::vector<std::string> kSpellings = {"true",  "t", "yes", "y", "on",  "1",
                                                        "false", "f", "no",  "n", "off", "0"};
    std::vector<std::string> odd;
    for (const auto& v : found.values) {
      std::string trimmed = lower(v);
      trimmed.erase(0, trimmed.find_first_not_of(' '));
      trimmed.erase(trimmed.find_last_not_of(' ') + 1);
      if (!contains(kSpellings, trimmed)) odd.push_back(v);
    }
    c.comments.push_back(
        fmt::format("Legacy {} is {}{}: boolean reads yes/no, y/n, t/f, 1/0.", s.name, s.type,
                    found.values.empty() ? std::string()
                                         : fmt::format(" holding {}", quoted_list(found.values))));
    if (!odd.empty()) {
      todo(c, todos,
           fmt::format("say which of {} mean true and false (options true: and "
                       "false:).",
                       quoted_list(odd)));
    }
    if (t.not_null && !s.not_null && (t.default_expr == "true" || t.default_expr == "false")) {
      c.steps.push_back(fmt::format("{{ default: \"{}\" }}", t.default_expr));
      c.comments.push_back(
          fmt::format("A legacy NULL becomes the target's default, {}.", t.default_expr));
    }
    return todos;
  }
  if (tf == TypeFamily::kDate && is_textual(sf)) {
    c.steps.insert(c.steps.end(), {"trim", "{ null_if: \"\" }", "{ parse_date: \"%Y-%m-%d\" }"});
    todo(c, todos,
         fmt::format("check the format of the dates typed in legacy {} ({}); an "
                     "empty text becomes NULL.",
                     s.name, s.type));
    return todos;
  }
  if (tf == TypeFamily::kUuid && sf != TypeFamily::kUuid) {
    todo(c, todos,
         fmt::format("{} is a uuid but legacy {} is {}: add a lookup or a "
                     "generated id.",
                     t.name, s.name, s.type));
    return todos;
  }
  if (tf == TypeFamily::kJson && is_textual(sf)) {
    c.comments.push_back(fmt::format("Legacy {} must hold valid JSON.", s.name));
    return todos;
  }
  const bool compatible = tf == sf || is_textual(tf) ||
                          (tf == TypeFamily::kNumeric && is_number(sf)) ||
                          (tf == TypeFamily::kFloat && is_number(sf)) ||
                          (tf == TypeFamily::kTimestamp && sf == TypeFamily::kDate) ||
                          (tf == TypeFamily::kDate && sf == TypeFamily::kTimestamp);
  if (!compatible) {
    todo(c, todos,
         fmt::format("legacy {} is {}, the target {}: no conversion proposed; "
                     "add the transforms it needs.",
                     s.name, s.type, t.type));
  } else if (tf == TypeFamily::kDate && sf == TypeFamily::kTimestamp) {
    c.comments.push_back(
        fmt::format("Legacy {} is {}: the server keeps the date part.", s.name, s.type));
  }
  return todos;
}

}  // namespace mapengine::scaffold
