#include "engine/common/diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace mapengine {

std::string Diagnostic::to_string() const {
  return fmt::format("{}: {}: {} [{}]", where.to_string(),
                     severity == Severity::kError ? "error" : "warning", message, rule);
}

void Diagnostics::error(const SourceLocation& where, std::string rule, std::string message) {
  items_.push_back({Severity::kError, where, std::move(message), std::move(rule)});
}

void Diagnostics::warning(const SourceLocation& where, std::string rule, std::string message) {
  items_.push_back({Severity::kWarning, where, std::move(message), std::move(rule)});
}

size_t Diagnostics::error_count() const {
  return static_cast<size_t>(std::count_if(items_.begin(), items_.end(), [](const Diagnostic& d) {
    return d.severity == Severity::kError;
  }));
}

size_t Diagnostics::warning_count() const { return items_.size() - error_count(); }

void Diagnostics::sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.where.file, a.where.line, a.where.column) <
           std::tie(b.where.file, b.where.line, b.where.column);
  });
}

}  // namespace mapengine
