#include "engine/pg/result.h"

#include <cstdlib>

namespace mapengine::pg {

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

Result::~Result() {
  if (result_ != nullptr) PQclear(result_);
}

std::optional<std::string> Result::optional(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return std::string(value(row, column));
}

long Result::affected() const {
  const char* tuples = PQcmdTuples(result_);
  return (tuples == nullptr || *tuples == '\0') ? 0 : std::strtol(tuples, nullptr, 10);
}

}  // namespace mapengine::pg
