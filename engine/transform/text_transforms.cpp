// Text transforms (trim, ltrim, rtrim, lower, upper, null_if, default, replace, regex_replace,
// substring, truncate, split) and the text combiners (join, format, coalesce).
// Lengths and positions count Unicode code points, never bytes (see utf8.h).
#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <limits>

#include "engine/transform/argument_schema.h"
#include "engine/transform/factory_support.h"
#include "engine/transform/registry.h"
#include "engine/transform/utf8.h"

namespace mapengine {
namespace {

using TransformPtr = std::unique_ptr<Transform>;
using CombinerPtr = std::unique_ptr<Combiner>;

// RE2 may use at most this much memory per compiled pattern; a pattern that needs more is
// rejected at lint time instead of slowing every row.
constexpr int64_t kRegexMaxMemory = 8 << 20;

// ---- trim, ltrim, rtrim -------------------------------------------------------------------

class Trim final : public Transform {
 public:
  Trim(bool left, bool right, std::vector<char32_t> chars)
      : left_(left), right_(right), chars_(std::move(chars)) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    const std::string_view text = value.text();
    size_t begin = 0, end = text.size();
    if (left_) {
      while (begin < end) {
        const utf8::Decoded d = utf8::decode(text, begin);
        if (!strips(d.code_point)) break;
        begin += d.length;
      }
    }
    if (right_) {
      while (end > begin) {
        const size_t start = utf8::previous_start(text, end);
        if (!strips(utf8::decode(text, start).code_point)) break;
        end = start;
      }
    }
    keep_range(value, begin, end - begin);
    return std::nullopt;
  }

 private:
  bool strips(char32_t c) const {
    if (c == utf8::kInvalid) return false;
    if (chars_.empty()) return utf8::is_space(c);
    return std::find(chars_.begin(), chars_.end(), c) != chars_.end();
  }

  bool left_, right_;
  std::vector<char32_t> chars_;  // empty: Unicode whitespace
};

TransformPtr make_trim(std::string_view name, bool left, bool right, const TransformArgs& args,
                       Diagnostics& diagnostics) {
  ArgumentReader reader(name, args, diagnostics);
  std::vector<char32_t> chars;
  if (reader.has_main()) {
    auto set = reader.text(reader.main(), "the characters to strip");
    if (!set) return nullptr;
    for (size_t at = 0; at < set->size();) {
      const utf8::Decoded d = utf8::decode(*set, at);
      if (d.code_point == utf8::kInvalid) {
        reader.error("the characters to strip are not valid UTF-8");
        return nullptr;
      }
      chars.push_back(d.code_point);
      at += d.length;
    }
    if (chars.empty()) {
      reader.error("the characters to strip must not be empty; write a bare name for whitespace");
      return nullptr;
    }
  }
  return std::make_unique<Trim>(left, right, std::move(chars));
}

// ---- lower, upper -------------------------------------------------------------------------

class CaseMap final : public Transform {
 public:
  explicit CaseMap(bool upper) : upper_(upper) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    const std::string_view text = value.text();
    // Find the first character that changes; most values have none and stay untouched.
    size_t at = 0;
    for (; at < text.size();) {
      const unsigned char byte = static_cast<unsigned char>(text[at]);
      if (byte < 0x80) {
        if (upper_ ? (byte >= 'a' && byte <= 'z') : (byte >= 'A' && byte <= 'Z')) break;
        ++at;
        continue;
      }
      const utf8::Decoded d = utf8::decode(text, at);
      if (d.code_point != utf8::kInvalid && map(d.code_point) != d.code_point) break;
      at += d.length;
    }
    if (at == text.size()) return std::nullopt;
    std::string& out = scratch_text();
    out.append(text.substr(0, at));
    while (at < text.size()) {
      const unsigned char byte = static_cast<unsigned char>(text[at]);
      if (byte < 0x80) {
        out.push_back(static_cast<char>(map(byte)));
        ++at;
        continue;
      }
      const utf8::Decoded d = utf8::decode(text, at);
      if (d.code_point == utf8::kInvalid) {
        out.push_back(text[at]);
      } else {
        utf8::append(out, map(d.code_point));
      }
      at += d.length;
    }
    take_scratch(value, out);
    return std::nullopt;
  }

 private:
  char32_t map(char32_t c) const { return upper_ ? utf8::to_upper(c) : utf8::to_lower(c); }
  bool upper_;
};

// ---- null_if, default ---------------------------------------------------------------------

class NullIf final : public Transform {
 public:
  explicit NullIf(std::vector<std::string> values) : values_(std::move(values)) {
    std::sort(values_.begin(), values_.end());
  }

  Rejection apply(Value& value, const RowContext&) const override {
    if (!value.is_null() &&
        std::binary_search(values_.begin(), values_.end(), value.text(), std::less<>())) {
      value.set_null();
    }
    return std::nullopt;
  }

 private:
  std::vector<std::string> values_;  // sorted
};

class Default final : public Transform {
 public:
  explicit Default(std::string text) : text_(std::move(text)) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) value.set_view(text_);
    return std::nullopt;
  }

 private:
  std::string text_;
};

// ---- replace, regex_replace ---------------------------------------------------------------

class Replace final : public Transform {
 public:
  Replace(std::string search, std::string with) : search_(std::move(search)), with_(std::move(with)) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    const std::string_view text = value.text();
    size_t found = text.find(search_);
    if (found == std::string_view::npos || search_ == with_) return std::nullopt;
    std::string& out = scratch_text();
    size_t from = 0;
    while (found != std::string_view::npos) {
      out.append(text.substr(from, found - from)).append(with_);
      from = found + search_.size();
      found = text.find(search_, from);
    }
    out.append(text.substr(from));
    take_scratch(value, out);
    return std::nullopt;
  }

 private:
  std::string search_, with_;
};

class RegexReplace final : public Transform {
 public:
  RegexReplace(std::unique_ptr<RE2> regex, std::string with)
      : regex_(std::move(regex)), with_(std::move(with)) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    const std::string_view text = value.text();
    if (!RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *regex_)) {
      return std::nullopt;
    }
    std::string& out = scratch_text();
    out.assign(text);
    RE2::GlobalReplace(&out, *regex_, with_);
    if (out != text) take_scratch(value, out);
    return std::nullopt;
  }

 private:
  std::unique_ptr<RE2> regex_;
  std::string with_;
};

// ---- substring, truncate, split -----------------------------------------------------------

class Substring final : public Transform {
 public:
  Substring(size_t start, std::optional<size_t> length) : start_(start), length_(length) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    const std::string_view text = value.text();
    const size_t begin = utf8::offset_of(text, start_ - 1);
    size_t length = text.size() - begin;
    if (length_) length = utf8::offset_of(text.substr(begin), *length_);
    keep_range(value, begin, length);
    return std::nullopt;
  }

 private:
  size_t start_;  // 1-based, like SQL substring
  std::optional<size_t> length_;
};

class Truncate final : public Transform {
 public:
  Truncate(size_t max, bool reject) : max_(max), reject_(reject) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    const std::string_view text = value.text();
    if (text.size() <= max_) return std::nullopt;  // bytes >= characters
    const size_t cut = utf8::offset_of(text, max_);
    if (cut == text.size()) return std::nullopt;
    if (reject_) {
      return fmt::format("truncate: value has {} characters, more than {}", utf8::count(text),
                         max_);
    }
    keep_range(value, 0, cut);
    return std::nullopt;
  }

 private:
  size_t max_;
  bool reject_;
};

class Split final : public Transform {
 public:
  Split(std::string separator, int64_t index) : separator_(std::move(separator)), index_(index) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    const std::string_view text = value.text();
    size_t begin = 0, end = 0;
    if (index_ > 0) {
      for (int64_t part = 1;; ++part) {
        end = text.find(separator_, begin);
        if (part == index_) break;
        if (end == std::string_view::npos) {
          value.set_null();
          return std::nullopt;
        }
        begin = end + separator_.size();
      }
      if (end == std::string_view::npos) end = text.size();
    } else {
      end = text.size();
      for (int64_t part = -1;; --part) {
        const size_t found = end == 0 ? std::string_view::npos
                                      : text.substr(0, end).rfind(separator_);
        begin = found == std::string_view::npos ? 0 : found + separator_.size();
        if (part == index_) break;
        if (found == std::string_view::npos) {
          value.set_null();
          return std::nullopt;
        }
        end = found;
      }
    }
    keep_range(value, begin, end - begin);
    return std::nullopt;
  }

 private:
  std::string separator_;
  int64_t index_;  // 1-based; negative counts from the end
};

// ---- join, format, coalesce ---------------------------------------------------------------

class Join final : public Combiner {
 public:
  Join(std::string separator, bool skip_nulls)
      : separator_(std::move(separator)), skip_nulls_(skip_nulls) {}

  Rejection combine(std::span<const Value> inputs, Value& out, const RowContext&) const override {
    size_t present = 0, bytes = 0;
    const Value* only = nullptr;
    for (const Value& input : inputs) {
      if (input.is_null()) {
        if (!skip_nulls_) {
          out.set_null();
          return std::nullopt;
        }
        continue;
      }
      ++present;
      bytes += input.text().size() + separator_.size();
      only = &input;
    }
    if (present == 0) {
      out.set_null();
    } else if (present == 1) {
      out = *only;
    } else {
      std::string& joined = begin_text(out);
      joined.reserve(bytes);
      bool first = true;
      for (const Value& input : inputs) {
        if (input.is_null()) continue;
        if (!first) joined.append(separator_);
        joined.append(input.text());
        first = false;
      }
    }
    return std::nullopt;
  }

 private:
  std::string separator_;
  bool skip_nulls_;
};

class Format final : public Combiner {
 public:
  struct Piece {
    std::string literal;  // used when input < 0
    int input = -1;       // index into the column's inputs
  };
  explicit Format(std::vector<Piece> pieces) : pieces_(std::move(pieces)) {}

  Rejection combine(std::span<const Value> inputs, Value& out, const RowContext&) const override {
    bool any_input = false, any_present = false;
    size_t bytes = 0;
    for (const Piece& piece : pieces_) {
      if (piece.input < 0) {
        bytes += piece.literal.size();
        continue;
      }
      any_input = true;
      const Value& value = inputs[static_cast<size_t>(piece.input)];
      if (!value.is_null()) any_present = true;
      bytes += value.text().size();
    }
    if (any_input && !any_present) {
      out.set_null();
      return std::nullopt;
    }
    if (pieces_.size() == 1 && pieces_[0].input >= 0) {
      out = inputs[static_cast<size_t>(pieces_[0].input)];
      return std::nullopt;
    }
    std::string& text = begin_text(out);
    text.reserve(bytes);
    for (const Piece& piece : pieces_) {
      text.append(piece.input < 0 ? std::string_view(piece.literal)
                                  : inputs[static_cast<size_t>(piece.input)].text());
    }
    return std::nullopt;
  }

 private:
  std::vector<Piece> pieces_;
};

class Coalesce final : public Combiner {
 public:
  Rejection combine(std::span<const Value> inputs, Value& out, const RowContext&) const override {
    for (const Value& input : inputs) {
      if (!input.is_null()) {
        out = input;
        return std::nullopt;
      }
    }
    out.set_null();
    return std::nullopt;
  }
};

std::optional<std::vector<Format::Piece>> parse_format(std::string_view pattern,
                                                       std::span<const std::string> names,
                                                       ArgumentReader& reader) {
  std::vector<Format::Piece> pieces;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) pieces.push_back({std::move(literal), -1});
    literal.clear();
  };
  for (size_t at = 0; at < pattern.size(); ++at) {
    const char c = pattern[at];
    if ((c == '{' || c == '}') && at + 1 < pattern.size() && pattern[at + 1] == c) {
      literal.push_back(c);  // {{ and }} are literal braces
      ++at;
      continue;
    }
    if (c == '}') {
      reader.error("a lone '}' in the template; write '}}' for a literal brace");
      return std::nullopt;
    }
    if (c != '{') {
      literal.push_back(c);
      continue;
    }
    const size_t close = pattern.find('}', at);
    if (close == std::string_view::npos) {
      reader.error("a '{' without its '}' in the template; write '{{' for a literal brace");
      return std::nullopt;
    }
    const std::string_view name = pattern.substr(at + 1, close - at - 1);
    const auto found = std::find(names.begin(), names.end(), name);
    if (found == names.end()) {
      std::vector<std::string_view> candidates(names.begin(), names.end());
      reader.error(fmt::format("'{{{}}}' names no from-column of this column (from: {}){}", name,
                               fmt::join(names, ", "), did_you_mean(name, candidates)));
      return std::nullopt;
    }
    flush();
    pieces.push_back({{}, static_cast<int>(found - names.begin())});
    at = close;
  }
  flush();
  return pieces;
}

// The text family, registered in the order `mapengine transforms` lists it.
using VT = ValueType;
using Main = ArgumentSchemas::Main;
namespace S = argument_schema;
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// trim, ltrim, rtrim.
void add_trims(TransformRegistry& registry) {
  const auto add_trim = [&](std::string name, std::string summary, bool left, bool right) {
    TransformInfo info = transform_info(name, std::move(summary), VT::kAny, VT::kSame, {});
    info.arguments = {
        Main::kOptional, S::text("the characters to strip (default: whitespace)"), {}};
    info.make_transform = [name, left, right](const TransformArgs& a, Diagnostics& d) {
      return make_trim(name, left, right, a, d);
    };
    registry.add(std::move(info));
  };
  add_trim("trim", "strips whitespace (or the given characters) at both ends", true, true);
  add_trim("ltrim", "strips whitespace (or the given characters) at the start", true, false);
  add_trim("rtrim", "strips whitespace (or the given characters) at the end", false, true);
}

// lower, upper.
void add_case_maps(TransformRegistry& registry) {
  for (bool upper : {false, true}) {
    TransformInfo info = transform_info(upper ? "upper" : "lower",
                                        upper ? "upper-cases letters (Latin, Greek, Cyrillic)"
                                              : "lower-cases letters (Latin, Greek, Cyrillic)",
                                        VT::kText, VT::kText, {});
    info.arguments.use = Main::kNone;
    info.make_transform = [upper](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader(upper ? "upper" : "lower", a, d);
      if (!reader.no_main()) return nullptr;
      return std::make_unique<CaseMap>(upper);
    };
    registry.add(std::move(info));
  }
}

// null_if, default.
void add_null_rules(TransformRegistry& registry) {
  {
    TransformInfo info = transform_info(
        "null_if", "turns the given value (or any of a list) into NULL", VT::kAny, VT::kSame, {});
    info.arguments = {
        Main::kRequired, S::text_or_list("the value, or a list of values, to turn into NULL"), {}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("null_if", a, d);
      auto values = reader.text_list(reader.main(), "the value");
      if (!values) return nullptr;
      return std::make_unique<NullIf>(std::move(*values));
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info =
        transform_info("default", "replaces NULL with the given value", VT::kAny, VT::kSame, {});
    info.arguments = {Main::kRequired, S::text("the value written instead of NULL"), {}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("default", a, d);
      auto text = reader.text(reader.main(), "the default value");
      if (!text) return nullptr;
      return std::make_unique<Default>(std::move(*text));
    };
    registry.add(std::move(info));
  }
}

// replace, regex_replace.
void add_replacements(TransformRegistry& registry) {
  {
    TransformInfo info = transform_info("replace", "replaces every occurrence of a text", VT::kText,
                                        VT::kText, {"with"});
    info.arguments = {
        Main::kRequired, S::text("the text to replace"), {{"with", S::text("the replacement")}}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("replace", a, d);
      auto search = reader.text(reader.main(), "the text to replace");
      auto with = reader.text(reader.option("with"), "with:");
      if (!search || !with) return nullptr;
      if (search->empty()) {
        reader.error("the text to replace must not be empty");
        return nullptr;
      }
      return std::make_unique<Replace>(std::move(*search), std::move(*with));
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info =
        transform_info("regex_replace", "replaces every match of an RE2 regular expression",
                       VT::kText, VT::kText, {"with", "ignore_case"});
    info.arguments = {
        Main::kRequired,
        S::text("an RE2 regular expression"),
        {{"with", S::text("the replacement: \\1 to \\9 insert groups, \\0 the match")},
         {"ignore_case", S::boolean("match regardless of case (default false)")}}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("regex_replace", a, d);
      auto pattern = reader.text(reader.main(), "the pattern");
      auto with = reader.text(reader.option("with"), "with:");
      std::optional<bool> ignore_case = false;
      if (reader.has_option("ignore_case")) {
        ignore_case = reader.boolean(reader.option("ignore_case"), "ignore_case:");
      }
      if (!pattern || !with || !ignore_case) return nullptr;
      RE2::Options options;
      options.set_log_errors(false);
      options.set_max_mem(kRegexMaxMemory);
      options.set_case_sensitive(!*ignore_case);
      auto regex = std::make_unique<RE2>(*pattern, options);
      if (!regex->ok()) {
        reader.error(fmt::format("invalid pattern: {}", regex->error()));
        return nullptr;
      }
      std::string problem;
      if (!regex->CheckRewriteString(*with, &problem)) {
        reader.error(fmt::format("invalid with: {}", problem));
        return nullptr;
      }
      return std::make_unique<RegexReplace>(std::move(regex), std::move(*with));
    };
    registry.add(std::move(info));
  }
}

// substring, truncate, split.
void add_cuts(TransformRegistry& registry) {
  {
    TransformInfo info = transform_info("substring",
                                        "keeps the characters from a 1-based position, optionally "
                                        "at most length of them",
                                        VT::kText, VT::kText, {"length"});
    info.arguments = {Main::kRequired,
                      S::integer(1, kInt32Max, "the 1-based start position"),
                      {{"length", S::integer(0, kInt32Max, "at most this many characters")}}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("substring", a, d);
      constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
      auto start = reader.integer(reader.main(), "the start position", 1, kMax);
      std::optional<size_t> length;
      if (reader.has_option("length")) {
        auto n = reader.integer(reader.option("length"), "length:", 0, kMax);
        if (n) length = static_cast<size_t>(*n);
      }
      if (!reader.ok() || !start) return nullptr;
      return std::make_unique<Substring>(static_cast<size_t>(*start), length);
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info =
        transform_info("truncate", "cuts the text to at most N characters (or rejects it)",
                       VT::kText, VT::kText, {"on_overflow"});
    info.arguments = {
        Main::kRequired,
        S::integer(0, kInt32Max, "the maximum length in characters"),
        {{"on_overflow", S::choice({"cut", "reject"}, "cut (default) or reject a longer text")}}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("truncate", a, d);
      auto max = reader.integer(reader.main(), "the maximum length", 0,
                                std::numeric_limits<int32_t>::max());
      std::optional<size_t> policy = 0;
      if (reader.has_option("on_overflow")) {
        policy = reader.choice(reader.option("on_overflow"), "on_overflow:", {"cut", "reject"});
      }
      if (!max || !policy) return nullptr;
      return std::make_unique<Truncate>(static_cast<size_t>(*max), *policy == 1);
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info = transform_info("split",
                                        "keeps one part of the text split at a separator "
                                        "(index 1 = first, -1 = last)",
                                        VT::kText, VT::kText, {"index"});
    info.arguments = {Main::kRequired,
                      S::text("the separator"),
                      {{"index", S::integer(std::numeric_limits<int32_t>::min(), kInt32Max,
                                            "the part kept: 1 = first, -1 = last (required)")}}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("split", a, d);
      auto separator = reader.text(reader.main(), "the separator");
      if (separator && separator->empty()) reader.error("the separator must not be empty");
      std::optional<int64_t> index;
      if (!reader.has_option("index")) {
        reader.error("needs index: (1 = first part, -1 = last part)");
      } else {
        index =
            reader.integer(reader.option("index"), "index:", std::numeric_limits<int32_t>::min(),
                           std::numeric_limits<int32_t>::max());
        if (index && *index == 0) {
          reader.error("index: counts from 1 (first part) or from -1 (last part), not 0");
        }
      }
      if (!reader.ok() || !separator || !index) return nullptr;
      return std::make_unique<Split>(std::move(*separator), *index);
    };
    registry.add(std::move(info));
  }
}

// Of several from-columns: join, format, coalesce.
void add_combiners(TransformRegistry& registry) {
  {
    TransformInfo info = transform_info("join",
                                        "combines the from-columns with a separator, skipping "
                                        "NULLs",
                                        VT::kAny, VT::kText, {"skip_nulls"});
    info.arguments = {Main::kRequired,
                      S::text("the separator (\"\" for none)"),
                      {{"skip_nulls", S::boolean("leave NULLs out (default true)")}}};
    info.make_combiner = [](const TransformArgs& a, Diagnostics& d) -> CombinerPtr {
      ArgumentReader reader("join", a, d);
      if (!reader.has_main()) {
        reader.error("needs a separator, e.g. { join: \" \" } (or { join: \"\" } for none)");
        return nullptr;
      }
      auto separator = reader.text(reader.main(), "the separator");
      std::optional<bool> skip_nulls = true;
      if (reader.has_option("skip_nulls")) {
        skip_nulls = reader.boolean(reader.option("skip_nulls"), "skip_nulls:");
      }
      if (!separator || !skip_nulls) return nullptr;
      return std::make_unique<Join>(std::move(*separator), *skip_nulls);
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info = transform_info("format",
                                        "fills a template such as \"{first_name} {last_name}\" "
                                        "with the from-columns",
                                        VT::kAny, VT::kText, {});
    info.arguments = {Main::kRequired, S::text("the template, naming from-columns in braces"), {}};
    info.make_combiner = [](const TransformArgs& a, Diagnostics& d) -> CombinerPtr {
      ArgumentReader reader("format", a, d);
      auto pattern = reader.text(reader.main(), "the template");
      if (!pattern) return nullptr;
      auto pieces = parse_format(*pattern, a.input_names, reader);
      if (!pieces) return nullptr;
      return std::make_unique<Format>(std::move(*pieces));
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info = transform_info("coalesce", "the first from-column that is not NULL",
                                        VT::kAny, VT::kAny, {});
    info.arguments.use = Main::kNone;
    info.make_combiner = [](const TransformArgs& a, Diagnostics& d) -> CombinerPtr {
      ArgumentReader reader("coalesce", a, d);
      if (!reader.no_main()) return nullptr;
      return std::make_unique<Coalesce>();
    };
    registry.add(std::move(info));
  }
}

}  // namespace

void register_text_transforms(TransformRegistry& registry) {
  add_trims(registry);
  add_case_maps(registry);
  add_null_rules(registry);
  add_replacements(registry);
  add_cuts(registry);
  add_combiners(registry);
}

}  // namespace mapengine
