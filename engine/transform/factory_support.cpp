#include "engine/transform/factory_support.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "engine/common/closest_name.h"
#include "engine/transform/utf8.h"

namespace mapengine {
namespace {

constexpr std::string_view kRule = "bad-transform-argument";

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

}  // namespace

ArgumentReader::ArgumentReader(std::string_view transform, const TransformArgs& args,
                               Diagnostics& diagnostics)
    : transform_(transform), args_(args), diagnostics_(diagnostics) {}

bool ArgumentReader::has_main() const { return args_.main.IsDefined() && !args_.main.IsNull(); }

YAML::Node ArgumentReader::option(std::string_view key) const {
  if (!args_.options.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  // Skip the first key: it is the transform's name, not an option.
  bool first = true;
  for (const auto& entry : args_.options) {
    if (first) {
      first = false;
      continue;
    }
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool ArgumentReader::has_option(std::string_view key) const { return option(key).IsDefined(); }

void ArgumentReader::error(std::string message) { error(std::string(kRule), std::move(message)); }

void ArgumentReader::error(std::string rule, std::string message) {
  ok_ = false;
  diagnostics_.error(args_.where, std::move(rule), fmt::format("{}: {}", transform_, message));
}

bool ArgumentReader::no_main() {
  if (!has_main()) return true;
  error("takes no argument; write it as a bare name");
  return false;
}

std::optional<std::string> ArgumentReader::text(const YAML::Node& node, std::string_view what) {
  if (!node.IsDefined() || node.IsNull()) {
    error(fmt::format("{} needs a value (write \"\" for the empty string)", what));
    return std::nullopt;
  }
  if (!node.IsScalar()) {
    error(fmt::format("{} must be a single value, not a list or map", what));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<int64_t> ArgumentReader::integer(const YAML::Node& node, std::string_view what,
                                               int64_t min, int64_t max) {
  auto raw = text(node, what);
  if (!raw) return std::nullopt;
  std::string_view digits = *raw;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  int64_t number = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    error(fmt::format("{} must be a whole number, not '{}'", what, *raw));
    return std::nullopt;
  }
  if (number < min || number > max) {
    if (max == std::numeric_limits<int64_t>::max()) {
      error(fmt::format("{} must be at least {}, not {}", what, min, number));
    } else {
      error(fmt::format("{} must be between {} and {}, not {}", what, min, max, number));
    }
    return std::nullopt;
  }
  return number;
}

std::optional<bool> ArgumentReader::boolean(const YAML::Node& node, std::string_view what) {
  auto raw = text(node, what);
  if (!raw) return std::nullopt;
  if (equals_ignore_case(*raw, "true") || equals_ignore_case(*raw, "yes")) return true;
  if (equals_ignore_case(*raw, "false") || equals_ignore_case(*raw, "no")) return false;
  error(fmt::format("{} must be true or false, not '{}'", what, *raw));
  return std::nullopt;
}

std::optional<std::vector<std::string>> ArgumentReader::text_list(const YAML::Node& node,
                                                                  std::string_view what) {
  if (node.IsDefined() && node.IsSequence()) {
    std::vector<std::string> items;
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        error(fmt::format("{} must list single values (write \"\" for the empty string)", what));
        return std::nullopt;
      }
      items.push_back(item.Scalar());
    }
    if (items.empty()) {
      error(fmt::format("{} must not be an empty list", what));
      return std::nullopt;
    }
    return items;
  }
  auto single = text(node, what);
  if (!single) return std::nullopt;
  return std::vector<std::string>{*single};
}

std::optional<size_t> ArgumentReader::choice(const YAML::Node& node, std::string_view what,
                                             std::initializer_list<std::string_view> allowed) {
  // YAML reads an unquoted `null` as NULL; where "null" is a choice, that is what was meant.
  if (node.IsDefined() && node.IsNull()) {
    const auto null_choice = std::find(allowed.begin(), allowed.end(), "null");
    if (null_choice != allowed.end()) return static_cast<size_t>(null_choice - allowed.begin());
  }
  auto raw = text(node, what);
  if (!raw) return std::nullopt;
  size_t index = 0;
  for (std::string_view candidate : allowed) {
    if (*raw == candidate) return index;
    ++index;
  }
  error(fmt::format("{} must be one of {}, not '{}'", what, fmt::join(allowed, ", "), *raw));
  return std::nullopt;
}

TransformInfo transform_info(std::string name, std::string summary, ValueType input,
                             ValueType output, std::vector<std::string> options) {
  TransformInfo info;
  info.name = std::move(name);
  info.summary = std::move(summary);
  info.input = input;
  info.output = output;
  info.options = std::move(options);
  return info;
}

std::string quoted(std::string_view text) {
  constexpr size_t kMaxCharacters = 60;
  const size_t cut = utf8::offset_of(text, kMaxCharacters);
  std::string out = "'";
  for (char c : text.substr(0, cut)) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  if (cut < text.size()) out += "...";
  out.push_back('\'');
  return out;
}

std::string quoted(const Value& value) { return value.is_null() ? "NULL" : quoted(value.text()); }

std::string did_you_mean(std::string_view name, const std::vector<std::string_view>& candidates) {
  std::string best = closest_name(name, candidates);
  return best.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", best);
}

void keep_range(Value& value, size_t begin, size_t length) {
  const std::string_view text = value.text();
  length = std::min(length, text.size() - begin);
  if (begin == 0 && length == text.size()) return;
  std::string& owned = value.mutable_text();  // copies a viewed text into the reused buffer
  owned.erase(begin + length);
  owned.erase(0, begin);
}

std::string& begin_text(Value& value) {
  value.set_view(std::string_view());
  std::string& buffer = value.mutable_text();  // empty, owned, capacity kept
  buffer.clear();
  return buffer;
}

void set_text(Value& value, std::string_view text) {
  if (!value.is_null() && value.text() == text) return;
  begin_text(value).assign(text);
}

std::string& scratch_text() {
  thread_local std::string scratch;
  scratch.clear();
  return scratch;
}

void take_scratch(Value& value, std::string& scratch) {
  value.set_view(std::string_view());
  value.mutable_text().swap(scratch);
}

std::string_view trim_ascii(std::string_view text) {
  while (!text.empty() && is_ascii_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_ascii_space(text.back())) text.remove_suffix(1);
  return text;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  }
  return true;
}

}  // namespace mapengine
