// Result: owning wrapper of a PGresult. Move-only; the PGresult is cleared on destruction.
//
// Thread-safety: a Result may be read from several threads; it is never mutated after creation.
#pragma once

#include <libpq-fe.h>

#include <optional>
#include <string>
#include <string_view>

namespace mapengine::pg {

class Result {
 public:
  Result() = default;
  explicit Result(PGresult* result) : result_(result) {}
  Result(Result&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result();

  int rows() const { return result_ ? PQntuples(result_) : 0; }
  int columns() const { return result_ ? PQnfields(result_) : 0; }
  bool is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
  // The text value; empty for NULL (check is_null when it matters).
  std::string_view value(int row, int column) const {
    return {PQgetvalue(result_, row, column),
            static_cast<size_t>(PQgetlength(result_, row, column))};
  }
  std::optional<std::string> optional(int row, int column) const;
  std::string column_name(int column) const { return PQfname(result_, column); }
  Oid column_type(int column) const { return PQftype(result_, column); }
  // Number of rows touched by INSERT/UPDATE/DELETE/COPY.
  long affected() const;
  PGresult* get() const { return result_; }

 private:
  PGresult* result_ = nullptr;
};

}  // namespace mapengine::pg
