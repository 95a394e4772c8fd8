#include "engine/validate/value_normalizer.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "engine/common/error.h"

namespace mapengine::validate {
namespace {

constexpr size_t kCacheEntriesPerType = 20000;

std::string json_array(const std::vector<std::string>& values) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& v : values) array.push_back(v);
  return array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string normalization_type(const std::string& type) {
  if (type.rfind("character varying", 0) == 0) return "text";
  return type;
}

bool is_text_type(const std::string& type) {
  return type == "text" || type.rfind("character varying", 0) == 0;
}

ValueNormalizer::ValueNormalizer(const std::string& target_url)
    : connection_(target_url, "target") {}

std::vector<std::optional<std::string>> ValueNormalizer::cast_all(
    const std::string& type, const std::vector<std::string>& values) {
  std::vector<std::optional<std::string>> out;
  try {
    pg::Result result = connection_.exec(
        fmt::format("SELECT concat(x::{}) FROM json_array_elements_text($1::json) WITH ORDINALITY "
                    "AS u(x, i) ORDER BY i",
                    type),
        {json_array(values)});
    for (int r = 0; r < result.rows(); ++r) out.push_back(result.optional(r, 0));
    if (out.size() == values.size()) return out;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kDatabase) throw;
  }
  // Some value is not valid for the type: cast one by one, keeping the ones that fail as-is.
  out.clear();
  for (const auto& value : values) {
    try {
      pg::Result result = connection_.exec(fmt::format("SELECT concat($1::{})", type), {value});
      out.push_back(result.optional(0, 0));
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kDatabase) throw;
      out.push_back(std::nullopt);
    }
  }
  return out;
}

std::vector<std::string> ValueNormalizer::normalize(const std::string& column_type,
                                                    const std::vector<std::string>& values) {
  std::string type = normalization_type(column_type);
  if (is_text_type(type)) return values;
  auto& cache = cache_[type];
  std::vector<std::string> unknown;
  std::unordered_set<std::string> asked;
  for (const auto& v : values) {
    if (!cache.count(v) && asked.insert(v).second) unknown.push_back(v);
  }
  if (!unknown.empty()) {
    std::vector<std::optional<std::string>> cast = cast_all(type, unknown);
    if (cache.size() + unknown.size() > kCacheEntriesPerType) cache.clear();
    for (size_t i = 0; i < unknown.size(); ++i) {
      cache[unknown[i]] = cast[i] ? *cast[i] : unknown[i];
    }
  }
  std::vector<std::string> out;
  out.reserve(values.size());
  for (const auto& v : values) out.push_back(cache[v]);
  return out;
}

std::unordered_set<std::string> ValueNormalizer::existing(const pg::QualifiedName& table,
                                                          const std::string& column,
                                                          const std::string& type,
                                                          const std::vector<std::string>& values) {
  std::unordered_set<std::string> found;
  if (values.empty()) return found;
  std::string sql = fmt::format(
      "SELECT x FROM json_array_elements_text($1::json) AS u(x) WHERE EXISTS "
      "(SELECT 1 FROM {} p WHERE p.{} = x::{})",
      table.quoted(), pg::quote_identifier(column), type);
  try {
    pg::Result result = connection_.exec(sql, {json_array(values)});
    for (int r = 0; r < result.rows(); ++r) found.emplace(result.value(r, 0));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kDatabase) throw;
    // A value the type does not accept matches no row.
    for (const auto& value : values) {
      try {
        pg::Result result =
            connection_.exec(fmt::format("SELECT EXISTS (SELECT 1 FROM {} p WHERE p.{} = $1::{})",
                                         table.quoted(), pg::quote_identifier(column), type),
                             {value});
        if (result.value(0, 0) == "t") found.insert(value);
      } catch (const Error& inner) {
        if (inner.kind() != ErrorKind::kDatabase) throw;
      }
    }
  }
  return found;
}

}  // namespace mapengine::validate
