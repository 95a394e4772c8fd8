// Helpers shared by the transform families (not part of the public API): reading a step's
// arguments with typed checks that report `bad-transform-argument` diagnostics at the step, the
// value excerpt used in rejection messages, and the "did you mean" name matcher.
//
// Thread-safety: an ArgumentReader belongs to one factory call; the free functions are pure.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/diagnostic.h"
#include "engine/common/value.h"
#include "engine/transform/registry.h"

namespace mapengine {

class ArgumentReader {
 public:
  ArgumentReader(std::string_view transform, const TransformArgs& args, Diagnostics& diagnostics);

  const TransformArgs& args() const { return args_; }
  bool has_main() const;
  const YAML::Node& main() const { return args_.main; }
  // The option `key` (an undefined node when absent).
  YAML::Node option(std::string_view key) const;
  bool has_option(std::string_view key) const;

  // Each of these reports a diagnostic ("<transform>: <what> ...") and returns nullopt when the
  // node is missing or of the wrong shape.
  std::optional<std::string> text(const YAML::Node& node, std::string_view what);
  std::optional<int64_t> integer(const YAML::Node& node, std::string_view what, int64_t min,
                                 int64_t max);
  std::optional<bool> boolean(const YAML::Node& node, std::string_view what);
  // A scalar or a list of scalars.
  std::optional<std::vector<std::string>> text_list(const YAML::Node& node, std::string_view what);
  // One of `allowed`; returns its index.
  std::optional<size_t> choice(const YAML::Node& node, std::string_view what,
                               std::initializer_list<std::string_view> allowed);

  // Reports an error when a main argument is given to a transform that takes none.
  bool no_main();
  void error(std::string message);
  void error(std::string rule, std::string message);
  // True when no error was reported through this reader.
  bool ok() const { return ok_; }

 private:
  std::string_view transform_;
  const TransformArgs& args_;
  Diagnostics& diagnostics_;
  bool ok_ = true;
};

// A TransformInfo without its factory, for the families' registration code.
TransformInfo transform_info(std::string name, std::string summary, ValueType input,
                             ValueType output, std::vector<std::string> options);

// `'value'` for rejection messages, cut to 60 characters ("...") so a huge value stays readable.
std::string quoted(std::string_view text);
std::string quoted(const Value& value);

// " (did you mean 'x'?)" (engine/common/closest_name.h) or empty.
std::string did_you_mean(std::string_view name, const std::vector<std::string_view>& candidates);

// Writing results without allocating per row. A Value that owned text once keeps that buffer's
// capacity, and pipelines reuse their output Value row after row, so results written into it
// stop allocating once the buffer is large enough.
//
// Narrows a non-NULL value to text[begin, begin + length): unchanged when the range is the whole
// text, otherwise edited in the value's own buffer.
void keep_range(Value& value, size_t begin, size_t length);
// Makes `value` a non-NULL, empty, owned text and returns its buffer to append to.
// REQUIRES: nothing read later points into value's current text.
std::string& begin_text(Value& value);
// Sets `value` to `text` unless it already holds exactly that. REQUIRES: `text` does not point
// into value's own buffer.
void set_text(Value& value, std::string_view text);
// A per-thread buffer for building a result from the value's current text, and the swap that
// hands it to the value (the value's old buffer becomes the next scratch buffer).
std::string& scratch_text();
void take_scratch(Value& value, std::string& scratch);

// ASCII helpers for parsers.
inline bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
std::string_view trim_ascii(std::string_view text);
bool equals_ignore_case(std::string_view a, std::string_view b);

}  // namespace mapengine
