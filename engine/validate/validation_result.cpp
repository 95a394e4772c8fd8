#include "engine/validate/validation_result.h"

#include <fmt/format.h>

namespace mapengine::validate {
namespace {

// Keeps every line one line: control characters become visible escapes.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out;
}

nlohmann::json optional_json(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

std::string_view to_string(DifferenceKind kind) {
  switch (kind) {
    case DifferenceKind::kMissing:
      return "missing";
    case DifferenceKind::kExtra:
      return "extra";
    case DifferenceKind::kChanged:
      return "changed";
  }
  return "changed";
}

std::string shorten(std::string_view text, size_t max_chars) {
  if (max_chars == 0) return {};
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (chars == max_chars - 1) {
      // Cut here if more than one character remains.
      size_t rest = 0;
      for (size_t j = i; j < text.size(); ++j) {
        if ((static_cast<unsigned char>(text[j]) & 0xC0) != 0x80) ++rest;
      }
      if (rest > 1) return std::string(text.substr(0, i)) + "…";
      return std::string(text);
    }
    ++chars;
  }
  return std::string(text);
}

std::string group_thousands(long long n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string quote_value(const std::optional<std::string>& value, size_t max_chars) {
  if (!value) return "NULL";
  // fmt, not `"'" + text`: GCC 12 at -O3 reports a false -Wrestrict there (bug 105651).
  return fmt::format("'{}'", shorten(one_line(*value), max_chars));
}

nlohmann::json Difference::to_json() const {
  nlohmann::json out{{"kind", to_string(kind)}, {"legacy_key", legacy_key}};
  if (kind == DifferenceKind::kChanged) {
    out["column"] = column;
    out["expected"] = optional_json(expected);
    out["actual"] = optional_json(actual);
  }
  if (!note.empty()) out["note"] = note;
  return out;
}

std::string Difference::to_text() const {
  std::string key = shorten(one_line(legacy_key), 60);
  std::string text;
  switch (kind) {
    case DifferenceKind::kMissing:
      text = fmt::format("missing: legacy key {} is not in the target", key);
      break;
    case DifferenceKind::kExtra:
      text = fmt::format("extra: legacy key {} is in the target", key);
      break;
    case DifferenceKind::kChanged:
      text = column.empty()
                 ? fmt::format("changed: legacy key {}", key)
                 : fmt::format("changed: legacy key {}, column {}: expected {}, actual {}", key,
                               column, quote_value(expected), quote_value(actual));
      break;
  }
  if (!note.empty()) text += fmt::format(" ({})", shorten(one_line(note), 160));
  return text;
}

nlohmann::json CheckResult::to_json() const {
  nlohmann::json out{{"check", check},     {"label", label},     {"ok", ok},
                     {"summary", summary}, {"details", details}, {"figures", figures}};
  if (!differences.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : differences) list.push_back(d.to_json());
    out["differences"] = std::move(list);
  }
  return out;
}

nlohmann::json MappingValidation::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : checks) list.push_back(c.to_json());
  return {{"mapping", mapping},       {"table", table}, {"file", file},
          {"checksum", checksum},     {"ok", ok},       {"seconds", seconds},
          {"checks", std::move(list)}};
}

nlohmann::json ValidationSummary::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : mappings) list.push_back(m.to_json());
  return {{"ok", ok}, {"run_id", run_id}, {"seconds", seconds}, {"mappings", std::move(list)}};
}

std::string ValidationSummary::to_text() const {
  std::string out;
  size_t failed = 0;
  for (const auto& m : mappings) {
    if (!m.ok) ++failed;
    out += fmt::format("{} ({}, {}): {} in {:.1f} s\n", m.mapping, m.table, m.file,
                       m.ok ? "PASS" : "FAIL", m.seconds);
    for (const auto& c : m.checks) {
      out += fmt::format("  {} {}: {}\n", c.ok ? "PASS" : "FAIL", c.label, one_line(c.summary));
      for (const auto& line : c.details) out += fmt::format("       {}\n", one_line(line));
      for (const auto& d : c.differences) out += fmt::format("       {}\n", d.to_text());
    }
  }
  out += fmt::format("validate: {} of {} mapping(s) {}; {:.1f} s{}\n",
                     failed == 0 ? mappings.size() : failed, mappings.size(),
                     failed == 0 ? "hold" : "failed", seconds,
                     run_id > 0 ? fmt::format(" (run {})", run_id) : "");
  return out;
}

}  // namespace mapengine::validate
