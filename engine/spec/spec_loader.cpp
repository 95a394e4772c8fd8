#include "engine/spec/spec_loader.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/common/digest.h"
#include "engine/spec/schema_validator.h"

namespace mapengine::spec {
namespace fs = std::filesystem;

SourceLocation location_of(const YAML::Node& node, const std::string& file) {
  if (!node.IsDefined()) return {file, 0, 0};
  YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

std::optional<std::string> interpolate_env(std::string_view text, std::string& missing) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 2;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i];
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    std::string_view body = text.substr(i + 2, close - i - 2);
    std::string_view name = body;
    std::optional<std::string_view> fallback;
    if (size_t dash = body.find(":-"); dash != std::string_view::npos) {
      name = body.substr(0, dash);
      fallback = body.substr(dash + 2);
    }
    std::string key(name);
    const char* value = std::getenv(key.c_str());
    if (value != nullptr && (*value != '\0' || !fallback)) {
      out += value;
    } else if (fallback) {
      out += *fallback;
    } else {
      missing = key;
      return std::nullopt;
    }
    i = close;
  }
  return out;
}

namespace {

// The offset of the first byte that is not part of well-formed UTF-8 (no overlong forms,
// surrogates or code points above U+10FFFF), or npos.
size_t first_invalid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char c = byte(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = c >= 0xC2 && c <= 0xDF   ? 2
                    : c >= 0xE0 && c <= 0xEF ? 3
                    : c >= 0xF0 && c <= 0xF4 ? 4
                                             : 0;
    if (length == 0 || i + length > text.size()) return i;
    unsigned char second = byte(i + 1);
    unsigned char low = 0x80, high = 0xBF;
    if (c == 0xE0) low = 0xA0;
    if (c == 0xED) high = 0x9F;  // no surrogates
    if (c == 0xF0) low = 0x90;
    if (c == 0xF4) high = 0x8F;  // at most U+10FFFF
    if (second < low || second > high) return i;
    for (size_t k = 2; k < length; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

SourceLocation location_of_offset(const std::string& path, std::string_view text, size_t offset) {
  std::string_view before = text.substr(0, offset);
  int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  size_t line_start = before.rfind('\n');
  int column =
      static_cast<int>(offset - (line_start == std::string_view::npos ? 0 : line_start + 1)) + 1;
  return {path, line, column};
}

// The shape of one YAML document, from the parser's events: whether its root is null, and where
// the root starts. Documents are counted with this instead of YAML::LoadAll, which never returns
// on some malformed input in yaml-cpp 0.7 (a flow indicator at document level, as in `'',`; found
// by fuzz/lint_fuzz, fixed upstream after 0.7).
class DocumentShape : public YAML::EventHandler {
 public:
  bool null_root = true;
  YAML::Mark root_mark;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { root(mark, true); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { root(mark, false); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    root(mark, false);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    root(mark, false);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    root(mark, false);
  }
  void OnMapEnd() override {}

 private:
  void root(const YAML::Mark& mark, bool is_null) {
    if (seen_) return;
    seen_ = true;
    null_root = is_null;
    root_mark = mark;
  }
  bool seen_ = false;
};

// Iterative walk: refuses documents nested deeper than kMaxNestingDepth (an alias that refers to
// its own anchor makes a cycle, hence infinite depth) or expanding to more than kMaxExpandedNodes
// values through aliases ("billion laughs").
bool within_limits(const YAML::Node& root, const std::string& path, Diagnostics& diagnostics) {
  std::vector<std::pair<YAML::Node, int>> stack{{root, 0}};
  size_t visited = 0;
  while (!stack.empty()) {
    auto [node, depth] = std::move(stack.back());
    stack.pop_back();
    if (depth > kMaxNestingDepth) {
      diagnostics.error(location_of(node, path), "too-complex",
                        fmt::format("the document is nested deeper than {} levels (or an alias "
                                    "refers to itself)",
                                    kMaxNestingDepth));
      return false;
    }
    if (++visited > kMaxExpandedNodes) {
      diagnostics.error({path, 1, 1}, "too-complex",
                        fmt::format("the document holds more than {} values (counting alias "
                                    "expansions)",
                                    kMaxExpandedNodes));
      return false;
    }
    if (node.IsSequence()) {
      for (const auto& item : node) stack.emplace_back(item, depth + 1);
    } else if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        stack.emplace_back(it->first, depth + 1);
        stack.emplace_back(it->second, depth + 1);
      }
    }
  }
  return true;
}

// The offset in `text` of a 0-based line and column (columns counted in bytes), or npos.
size_t offset_of(std::string_view text, int line, int column) {
  size_t offset = 0;
  for (int l = 0; l < line; ++l) {
    offset = text.find('\n', offset);
    if (offset == std::string_view::npos) return offset;
    ++offset;
  }
  offset += static_cast<size_t>(column);
  return offset < text.size() ? offset : std::string_view::npos;
}

// yaml-cpp accepts a double-quoted scalar that is never closed, taking the rest of the file as
// its text (and the fields below it vanish). The offset of such an opening quote, or npos.
// REQUIRES: within_limits(root) held.
size_t unterminated_quote(const YAML::Node& root, std::string_view text) {
  std::vector<YAML::Node> stack{root};
  while (!stack.empty()) {
    YAML::Node node = std::move(stack.back());
    stack.pop_back();
    if (node.IsSequence()) {
      for (const auto& item : node) stack.push_back(item);
    } else if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        stack.push_back(it->first);
        stack.push_back(it->second);
      }
    } else if (node.IsScalar()) {
      size_t open = offset_of(text, node.Mark().line, node.Mark().column);
      if (open == std::string_view::npos || text[open] != '"') continue;
      size_t i = open + 1;
      while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      if (i >= text.size()) return open;
    }
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<ParsedFile> parse_text(const std::string& path, const std::string& text,
                                     Diagnostics& diagnostics) {
  if (text.size() > kMaxSpecFileBytes) {
    diagnostics.error({path, 1, 1}, "file-too-large",
                      fmt::format("file is {} bytes; a mapping file may have at most {}",
                                  text.size(), kMaxSpecFileBytes));
    return std::nullopt;
  }
  if (text.find('\0') != std::string::npos) {
    diagnostics.error({path, 1, 1}, "not-yaml", "file contains NUL bytes: it is not YAML text");
    return std::nullopt;
  }
  if (size_t bad = first_invalid_utf8(text); bad != std::string::npos) {
    diagnostics.error(location_of_offset(path, text, bad), "not-utf8",
                      fmt::format("byte 0x{:02X} is not UTF-8: save the file as UTF-8 (it looks "
                                  "like another encoding, such as Latin-1)",
                                  static_cast<unsigned char>(text[bad])));
    return std::nullopt;
  }
  ParsedFile parsed{path, sha256_hex(text), {}};
  try {
    std::stringstream stream(text);
    YAML::Parser parser(stream);
    DocumentShape first, second;
    if (!parser.HandleNextDocument(first) || first.null_root) {
      diagnostics.error({path, 1, 1}, "empty-file", "file is empty: expected a mapping document");
      return std::nullopt;
    }
    if (parser.HandleNextDocument(second) && !second.null_root) {
      diagnostics.error({path, second.root_mark.line + 1, second.root_mark.column + 1},
                        "multiple-documents", "a mapping file holds exactly one YAML document");
      return std::nullopt;
    }
    parsed.root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    diagnostics.error(
        {path, e.mark.line + 1, e.mark.column + 1}, "too-complex",
        fmt::format("the document is nested deeper than {} levels", kMaxNestingDepth));
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    diagnostics.error({path, e.mark.line + 1, e.mark.column + 1}, "yaml-syntax", e.msg);
    return std::nullopt;
  } catch (const std::exception& e) {
    diagnostics.error({path, 1, 1}, "yaml-syntax", e.what());
    return std::nullopt;
  }
  if (!within_limits(parsed.root, path, diagnostics)) return std::nullopt;
  if (size_t open = unterminated_quote(parsed.root, text); open != std::string::npos) {
    diagnostics.error(location_of_offset(path, text, open), "yaml-syntax",
                      "this double quote opens a string that is never closed: the rest of the "
                      "file was read as its text; add the closing `\"`");
    return std::nullopt;
  }
  if (!parsed.root.IsMap()) {
    diagnostics.error(location_of(parsed.root, path), "not-a-map",
                      "the document must be a map with `version`, `table`, `source`, `columns`");
    return std::nullopt;
  }
  return parsed;
}

std::optional<ParsedFile> parse_file(const std::string& path, Diagnostics& diagnostics) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) {
    diagnostics.error({path, 0, 0}, "io", fmt::format("cannot read file: {}", ec.message()));
    return std::nullopt;
  }
  if (size > kMaxSpecFileBytes) {
    diagnostics.error({path, 1, 1}, "file-too-large",
                      fmt::format("file is {} bytes; a mapping file may have at most {}", size,
                                  kMaxSpecFileBytes));
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.error({path, 0, 0}, "io", "cannot open file");
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parse_text(path, buffer.str(), diagnostics);
}

std::string document_kind(const YAML::Node& root) {
  if (!root.IsMap()) return "";
  YAML::Node kind = root["kind"];
  if (kind && kind.IsScalar()) return kind.Scalar();
  return "mapping";
}

namespace {

// Builds one document, reporting problems against its file.
class Builder {
 public:
  Builder(const ParsedFile& file, Diagnostics& diagnostics)
      : file_(file), diagnostics_(diagnostics) {}

  SourceLocation at(const YAML::Node& node) const { return location_of(node, file_.path); }

  // A scalar string with ${VAR} expanded; nullopt (and a diagnostic) when not a scalar.
  std::optional<std::string> text(const YAML::Node& node, std::string_view what) {
    if (!node || !node.IsScalar()) {
      diagnostics_.error(at(node), "schema-type", fmt::format("{} must be a string", what));
      return std::nullopt;
    }
    std::string missing;
    auto value = interpolate_env(node.Scalar(), missing);
    if (!value) {
      diagnostics_.error(at(node), "env-unset",
                         fmt::format("environment variable {} is not set (use ${{{}:-default}} "
                                     "for a default)",
                                     missing, missing));
    }
    return value;
  }

  // The key node naming `name` in `map` (a map's own location is its first entry, so a finding
  // about a whole map points at its key instead).
  static YAML::Node key_of(const YAML::Node& map, std::string_view name) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == name) return it->first;
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }

  // Records where `node` was written under `path` (see MappingSpec::spots).
  void spot(const std::string& path, const YAML::Node& node) {
    if (spots_ != nullptr && node) (*spots_)[path] = at(node);
  }

  // A name or a list of names; item i is recorded as spot `what[i]` (what is the path).
  std::vector<std::string> names(const YAML::Node& node, std::string_view what) {
    std::vector<std::string> out;
    if (!node) return out;
    if (node.IsScalar()) {
      spot(fmt::format("{}[0]", what), node);
      if (auto value = text(node, what)) out.push_back(*value);
      return out;
    }
    if (!node.IsSequence()) {
      diagnostics_.error(at(node), "schema-type",
                         fmt::format("{} must be a name or a list of names", what));
      return out;
    }
    size_t index = 0;
    for (const auto& item : node) {
      spot(fmt::format("{}[{}]", what, index++), item);
      if (auto value = text(item, what)) out.push_back(*value);
    }
    return out;
  }

  std::optional<long long> integer(const YAML::Node& node, std::string_view what) {
    long long value = 0;
    if (!node.IsScalar() || !YAML::convert<long long>::decode(node, value)) {
      diagnostics_.error(at(node), "schema-type", fmt::format("{} must be an integer", what));
      return std::nullopt;
    }
    return value;
  }

  std::optional<LookupSpec> lookup(const YAML::Node& node, const std::string& prefix) {
    LookupSpec spec;
    spec.where = at(node);
    spot(prefix, node);
    if (node.IsScalar()) {
      spot(prefix + ".table", node);
      spec.table = node.Scalar();
      return spec;
    }
    if (!node.IsMap()) {
      diagnostics_.error(at(node), "schema-type", "lookup must be a table name or a map");
      return std::nullopt;
    }
    for (const char* field : {"table", "mapping", "match", "return", "default"}) {
      spot(prefix + "." + field, node[field]);
    }
    if (node["table"]) spec.table = text(node["table"], "lookup.table").value_or("");
    if (node["mapping"]) spec.mapping = text(node["mapping"], "lookup.mapping").value_or("");
    if (node["match"]) spec.match = text(node["match"], "lookup.match").value_or("");
    if (node["return"]) spec.returns = text(node["return"], "lookup.return").value_or("");
    if (YAML::Node policy = node["on_missing"]) {
      spot(prefix + ".on_missing", policy);
      // `on_missing: null` is a YAML null, not the string "null".
      std::string value = policy.IsNull() ? "null" : policy.IsScalar() ? policy.Scalar() : "";
      if (value == "reject") {
        spec.on_missing = MissPolicy::kReject;
      } else if (value == "null") {
        spec.on_missing = MissPolicy::kNull;
      } else if (value == "default") {
        spec.on_missing = MissPolicy::kDefault;
      } else if (value == "fail") {
        spec.on_missing = MissPolicy::kFail;
      } else {
        diagnostics_.error(at(policy), "schema-enum",
                           "on_missing must be one of reject, null, default, fail");
      }
    }
    if (YAML::Node value = node["default"]) {
      if (value.IsNull()) {
        spec.default_value = std::nullopt;
      } else {
        spec.default_value = text(value, "lookup.default");
      }
    }
    if (YAML::Node deferred = node["deferred"]) {
      spot(prefix + ".deferred", deferred);
      if (!deferred.IsScalar() || !YAML::convert<bool>::decode(deferred, spec.deferred)) {
        diagnostics_.error(at(deferred), "schema-type", "lookup.deferred must be true or false");
      }
    }
    return spec;
  }

  std::optional<ColumnSpec> column(const std::string& name, const YAML::Node& node,
                                   const YAML::Node& key_node) {
    ColumnSpec column;
    column.name = name;
    column.where = at(key_node);
    const std::string prefix = "columns." + name;
    if (spots_ != nullptr && spots_->count(prefix) == 0) spot(prefix, key_node);
    if (node.IsScalar()) {  // shorthand: col: source_col
      spot(prefix + ".from", node);
      spot(prefix + ".from[0]", node);
      if (auto from = text(node, "column source")) column.from.push_back(*from);
      return column;
    }
    if (!node.IsMap()) {
      diagnostics_.error(at(node), "schema-type",
                         fmt::format("column {} must be a map such as {{ from: col }}", name));
      return std::nullopt;
    }
    for (const char* field : {"from", "value", "generate", "namespace", "transform"}) {
      spot(prefix + "." + field, node[field]);
    }
    if (YAML::Node from = node["from"]) column.from = names(from, prefix + ".from");
    if (YAML::Node value = node["value"]) {
      column.has_constant = true;
      if (!value.IsNull()) column.constant = text(value, "value");
    }
    if (YAML::Node generate = node["generate"]) {
      std::string kind = generate.IsScalar() ? generate.Scalar() : "";
      if (kind == "uuid" || kind == "uuid_v4") {
        column.generate = Generate::kUuidRandom;
      } else if (kind == "uuid_v5") {
        column.generate = Generate::kUuidDeterministic;
      } else if (kind == "uuid_v7") {
        column.generate = Generate::kUuidTimeOrdered;
      } else {
        diagnostics_.error(at(generate), "schema-enum",
                           "generate must be uuid, uuid_v5 or uuid_v7");
      }
    }
    if (YAML::Node ns = node["namespace"]) column.uuid_namespace = text(ns, "namespace").value_or("");
    if (YAML::Node steps = node["transform"]) {
      if (steps.IsScalar() || steps.IsMap()) {
        column.transforms.push_back(step(steps));
      } else if (steps.IsSequence()) {
        for (const auto& s : steps) column.transforms.push_back(step(s));
      }
    }
    if (YAML::Node lookup_node = node["lookup"]) {
      column.lookup = lookup(lookup_node, prefix + ".lookup");
    }
    // `from` with uuid_v7 is the time the id holds, not a second source.
    const bool timed = column.generate == Generate::kUuidTimeOrdered;
    int sources = (column.from.empty() || timed ? 0 : 1) + (column.has_constant ? 1 : 0) +
                  (column.generate != Generate::kNone ? 1 : 0);
    if (sources != 1) {
      diagnostics_.error(at(node), "column-source",
                         fmt::format("column {} needs exactly one of from, value, generate (has {}; "
                                     "only generate: uuid_v7 takes a from, its time)",
                                     name, sources));
    }
    return column;
  }

  TransformStep step(const YAML::Node& node) {
    TransformStep step;
    step.where = at(node);
    if (node.IsScalar()) {
      step.name = node.Scalar();
    } else if (node.IsMap() && node.size() > 0) {
      auto first = node.begin();
      step.name = first->first.IsScalar() ? first->first.Scalar() : "";
      step.main = first->second;
      step.options = node;
    } else {
      diagnostics_.error(at(node), "schema-type",
                         "a transform step is a name or a map such as { join: \" \" }");
    }
    return step;
  }

  std::optional<CheckSpec> check(const YAML::Node& node) {
    CheckSpec check;
    check.where = at(node);
    if (!node.IsMap() || node.size() == 0) {
      diagnostics_.error(at(node), "schema-type", "a check is a map such as { not_null: [col] }");
      return std::nullopt;
    }
    auto first = node.begin();
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() != "name") {
        first = it;
        break;
      }
    }
    std::string kind = first->first.IsScalar() ? first->first.Scalar() : "";
    YAML::Node body = first->second;  // a copy: `->` yields a temporary proxy
    if (node["name"]) check.name = text(node["name"], "check name").value_or("");
    if (kind == "not_null") {
      check.kind = CheckKind::kNotNull;
      check.columns = names(body, "not_null");
    } else if (kind == "unique") {
      check.kind = CheckKind::kUnique;
      check.columns = names(body, "unique");
    } else if (kind == "accepted_values") {
      check.kind = CheckKind::kAcceptedValues;
      if (body.IsMap()) {
        check.columns = names(body["column"], "accepted_values.column");
        check.values = names(body["values"], "accepted_values.values");
      }
    } else if (kind == "row_count") {
      check.kind = CheckKind::kRowCount;
      if (body.IsMap()) {
        if (body["min"]) check.min_rows = integer(body["min"], "row_count.min");
        if (body["max"]) check.max_rows = integer(body["max"], "row_count.max");
      }
    } else if (kind == "sql") {
      check.kind = CheckKind::kSql;
      check.sql = text(body, "sql check").value_or("");
    } else {
      diagnostics_.error(at(first->first), "unknown-check",
                         fmt::format("unknown check {}: expected not_null, unique, "
                                     "accepted_values, row_count or sql",
                                     kind));
      return std::nullopt;
    }
    return check;
  }

  // `follow:`: on_delete (delete, keep or { mark: column }) and also (joined tables).
  void follow_spec(const YAML::Node& follow, FollowSpec& out) {
    if (YAML::Node policy = follow["on_delete"]) {
      spot("follow.on_delete", policy);
      std::string value = policy.IsScalar() ? policy.Scalar() : "";
      if (value == "delete") {
        out.on_delete = DeletePolicy::kDelete;
      } else if (value == "keep") {
        out.on_delete = DeletePolicy::kKeep;
      } else if (policy.IsMap() && policy["mark"] && policy.size() == 1) {
        spot("follow.on_delete.mark", policy["mark"]);
        out.on_delete = DeletePolicy::kMark;
        out.mark_column = text(policy["mark"], "follow.on_delete.mark").value_or("");
      } else {
        diagnostics_.error(at(policy), "schema-enum",
                           "follow.on_delete must be delete, keep or { mark: column }");
      }
    }
    YAML::Node also = follow["also"];
    if (!also) return;
    spot("follow.also", also);
    if (!also.IsSequence()) {
      diagnostics_.error(at(also), "schema-type",
                         "follow.also must be a list of { table, join: { driving_column: "
                         "joined_column } }");
      return;
    }
    size_t index = 0;
    for (const auto& item : also) {
      std::string path = fmt::format("follow.also[{}]", index++);
      spot(path, item);
      YAML::Node join = item.IsMap() ? item["join"] : YAML::Node();
      if (!item.IsMap() || !item["table"] || !join || !join.IsMap() || join.size() == 0) {
        diagnostics_.error(at(item), "missing-field",
                           fmt::format("{} needs `table` and `join: {{ driving_column: "
                                       "joined_column }}`",
                                       path));
        continue;
      }
      JoinedTable joined;
      joined.where = at(item);
      spot(path + ".table", item["table"]);
      spot(path + ".join", join);
      joined.table = pg::parse_qualified_name(text(item["table"], "table").value_or(""));
      for (auto it = join.begin(); it != join.end(); ++it) {
        auto driving = text(it->first, path + ".join");
        auto column = text(it->second, path + ".join");
        if (driving && column) joined.join.emplace_back(*driving, *column);
      }
      out.also.push_back(std::move(joined));
    }
  }

  std::optional<MappingSpec> mapping() {
    const YAML::Node& root = file_.root;
    MappingSpec spec;
    spec.file = file_.path;
    spec.checksum = file_.checksum;
    spec.file_checksum = file_.checksum;
    spec.where = at(root);
    spots_ = &spec.spots;
    size_t errors_before = diagnostics_.error_count();

    if (YAML::Node version = root["version"]) {
      spot("version", version);
      if (auto v = integer(version, "version")) {
        spec.version = static_cast<int>(*v);
        if (*v > kCurrentVersion || *v < 1) {
          diagnostics_.error(at(version), "version",
                             fmt::format("version {} is not supported; this mapengine reads "
                                         "version {}",
                                         *v, kCurrentVersion));
        }
      }
    } else {
      diagnostics_.error(at(root), "missing-field", "missing required field `version` (use 1)");
    }

    if (YAML::Node table = root["table"]) {
      spot("table", table);
      if (auto name = text(table, "table")) spec.table = pg::parse_qualified_name(*name);
    } else {
      diagnostics_.error(at(root), "missing-field", "missing required field `table`");
    }
    spec.name = spec.table.name;
    if (YAML::Node name = root["name"]) {
      spot("name", name);
      spec.name = text(name, "name").value_or(spec.name);
    }

    YAML::Node source = root["source"];
    if (source && source.IsMap()) {
      spot("source", key_of(root, "source"));
      if (YAML::Node query = source["query"]) {
        spot("source.query", query);
        spec.source_query = text(query, "source.query").value_or("");
      } else if (YAML::Node table = source["table"]) {
        spot("source.query", table);
        if (auto name = text(table, "source.table")) {
          spec.source_query = "SELECT * FROM " + pg::parse_qualified_name(*name).quoted();
        }
      } else {
        diagnostics_.error(at(source), "missing-field", "source needs `query` or `table`");
      }
      if (YAML::Node key = source["key"]) {
        spot("source.key", key);
        spec.key = names(key, "source.key");
      } else {
        diagnostics_.error(at(source), "missing-legacy-key",
                           "source.key is required: the legacy key orders the read, identifies "
                           "rows and makes resume possible");
      }
    } else {
      diagnostics_.error(at(source ? source : root), "missing-field",
                         "missing required map `source` with `query` and `key`");
    }

    if (YAML::Node target = root["target"]; target && target.IsMap()) {
      spot("target", key_of(root, "target"));
      if (YAML::Node legacy = target["legacy_key"]) {
        spot("target.legacy_key", legacy);
        spec.legacy_key_columns = names(legacy, "target.legacy_key");
      }
      if (YAML::Node id = target["id_column"]) {
        spot("target.id_column", id);
        spec.id_columns = names(id, "target.id_column");
        if (spec.id_columns.empty()) spec.id_columns = {"id"};
      }
      if (YAML::Node mode = target["mode"]) {
        spot("target.mode", mode);
        std::string value = mode.IsScalar() ? mode.Scalar() : "";
        if (value == "insert") {
          spec.mode = WriteMode::kInsert;
        } else if (value == "upsert") {
          spec.mode = WriteMode::kUpsert;
        } else if (value == "skip_existing") {
          spec.mode = WriteMode::kSkipExisting;
        } else {
          diagnostics_.error(at(mode), "schema-enum",
                             "target.mode must be insert, upsert or skip_existing");
        }
      }
      if (YAML::Node conflict = target["conflict"]) {
        spot("target.conflict", conflict);
        spec.conflict_columns = names(conflict, "target.conflict");
      }
      if (YAML::Node bulk = target["bulk"]) {
        spot("target.bulk", bulk);
        std::string value = bulk.IsScalar() ? bulk.Scalar() : "";
        if (value == "true") {
          spec.bulk = BulkMode::kForeignKeys;
        } else if (value == "with_indexes") {
          spec.bulk = BulkMode::kWithIndexes;
        } else if (value != "false") {
          diagnostics_.error(at(bulk), "schema-enum",
                             "target.bulk must be true, false or with_indexes");
        }
      }
    }
    if (spec.conflict_columns.empty()) spec.conflict_columns = spec.legacy_key_columns;
    if (spec.conflict_columns.empty() && spec.is_association()) {
      spec.conflict_columns = spec.id_columns;
    }

    if (YAML::Node batch = root["batch_size"]) {
      spot("batch_size", batch);
      if (auto v = integer(batch, "batch_size")) {
        if (*v < 1 || *v > 100000) {
          diagnostics_.error(at(batch), "batch-size", "batch_size must be between 1 and 100000");
        } else {
          spec.batch_size = static_cast<int>(*v);
        }
      }
    }
    if (YAML::Node parallel = root["parallel"]) {
      spot("parallel", parallel);
      if (auto v = integer(parallel, "parallel")) {
        if (*v < 1 || *v > 64) {
          diagnostics_.error(at(parallel), "parallel", "parallel must be between 1 and 64");
        } else {
          spec.parallel = static_cast<int>(*v);
        }
      }
    }
    if (YAML::Node depends = root["depends_on"]) {
      spot("depends_on", depends);
      spec.depends_on = names(depends, "depends_on");
    }
    if (YAML::Node limit = root["max_rejects"]) {
      spot("max_rejects", limit);
      std::optional<RejectLimit> parsed =
          parse_reject_limit(limit.IsScalar() ? limit.Scalar() : "");
      if (!parsed) {
        diagnostics_.error(at(limit), "max-rejects",
                           "max_rejects must be a count (100) or a percentage (\"2%\")");
      } else {
        spec.max_rejects = parsed;
      }
    }

    if (YAML::Node columns = root["columns"]; columns && columns.IsMap()) {
      spot("columns", key_of(root, "columns"));
      for (auto it = columns.begin(); it != columns.end(); ++it) {
        if (!it->first.IsScalar()) continue;
        if (auto column = this->column(it->first.Scalar(), it->second, it->first)) {
          spec.columns.push_back(std::move(*column));
        }
      }
    } else {
      diagnostics_.error(at(columns ? columns : root), "missing-field",
                         "missing required map `columns` (target column -> spec)");
    }

    if (YAML::Node follow = root["follow"]; follow && follow.IsMap()) {
      spot("follow", key_of(root, "follow"));
      follow_spec(follow, spec.follow);
    }

    spots_ = nullptr;  // check paths are not recorded
    if (YAML::Node checks = root["checks"]; checks && checks.IsSequence()) {
      for (const auto& node : checks) {
        if (auto c = check(node)) spec.checks.push_back(std::move(*c));
      }
    }

    spots_ = nullptr;
    if (diagnostics_.error_count() > errors_before) return std::nullopt;
    return spec;
  }

  std::vector<MigratedTable> migrated() {
    std::vector<MigratedTable> out;
    YAML::Node tables = file_.root["tables"];
    if (!tables || !tables.IsSequence()) {
      diagnostics_.error(at(file_.root), "missing-field",
                         "a `kind: migrated` file needs a list `tables`");
      return out;
    }
    for (const auto& node : tables) {
      if (!node.IsMap() || !node["table"]) {
        diagnostics_.error(at(node), "missing-field", "each migrated table needs `table`");
        continue;
      }
      MigratedTable table;
      table.where = at(node);
      table.table = pg::parse_qualified_name(text(node["table"], "table").value_or(""));
      table.name = node["name"] ? text(node["name"], "name").value_or("") : table.table.name;
      table.legacy_key_columns = names(node["legacy_key"], "legacy_key");
      if (node["id_column"]) table.id_column = text(node["id_column"], "id_column").value_or("id");
      if (table.legacy_key_columns.empty()) {
        diagnostics_.error(at(node), "missing-field",
                           "a migrated table needs `legacy_key`: the column lookups match on");
      }
      out.push_back(std::move(table));
    }
    return out;
  }

 private:
  const ParsedFile& file_;
  Diagnostics& diagnostics_;
  std::map<std::string, SourceLocation>* spots_ = nullptr;  // of the mapping being built
};

}  // namespace

std::optional<MappingSpec> build_mapping(const ParsedFile& file, Diagnostics& diagnostics) {
  return Builder(file, diagnostics).mapping();
}

std::vector<MigratedTable> build_migrated(const ParsedFile& file, Diagnostics& diagnostics) {
  return Builder(file, diagnostics).migrated();
}

namespace {
bool is_yaml(const fs::path& path) {
  auto ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

std::vector<std::string> yaml_files_in(const fs::path& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && is_yaml(entry.path())) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}
}  // namespace

std::vector<std::string> expand_paths(const std::vector<std::string>& paths,
                                      Diagnostics& diagnostics) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      auto found = yaml_files_in(path);
      if (found.empty()) {
        diagnostics.error({path, 0, 0}, "io", "folder holds no *.yaml or *.yml file");
      }
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(path, ec)) {
      files.push_back(path);
    } else {
      diagnostics.error({path, 0, 0}, "io", "no such file or folder");
    }
  }
  return files;
}

Project load_project(const std::vector<std::string>& paths, Diagnostics& diagnostics) {
  Project project;
  std::vector<std::string> named = expand_paths(paths, diagnostics);
  std::set<std::string> seen;
  std::vector<std::pair<std::string, bool>> all;  // path, named
  for (const auto& file : named) {
    auto canonical = fs::weakly_canonical(file).string();
    if (seen.insert(canonical).second) all.emplace_back(file, true);
  }
  for (const auto& file : named) {
    for (const auto& sibling : yaml_files_in(fs::path(file).parent_path().empty()
                                                 ? fs::path(".")
                                                 : fs::path(file).parent_path())) {
      auto canonical = fs::weakly_canonical(sibling).string();
      if (seen.insert(canonical).second) all.emplace_back(sibling, false);
    }
  }
  for (const auto& [path, is_named] : all) {
    // Context files report their problems only when they are linted themselves.
    Diagnostics scratch;
    Diagnostics& sink = is_named ? diagnostics : scratch;
    auto parsed = parse_file(path, sink);
    auto unloaded = [&, path = path] {
      std::string stem = fs::path(path).stem().string();
      project.unloaded.push_back(stem);
      if (!parsed || !parsed->root.IsMap()) return;
      for (const char* field : {"table", "name"}) {
        YAML::Node node = parsed->root[field];
        if (!node || !node.IsScalar()) continue;
        project.unloaded.push_back(node.Scalar());
        project.unloaded.push_back(pg::parse_qualified_name(node.Scalar()).name);
      }
    };
    if (!parsed || !validate_schema(parsed->root, path, sink)) {
      unloaded();
      continue;
    }
    std::string kind = document_kind(parsed->root);
    if (kind == "migrated") {
      auto tables = build_migrated(*parsed, sink);
      project.migrated.insert(project.migrated.end(), tables.begin(), tables.end());
    } else if (auto mapping = build_mapping(*parsed, sink)) {
      (is_named ? project.mappings : project.context).push_back(std::move(*mapping));
    } else {
      unloaded();
    }
  }
  // Lookups into migrated tables follow those tables' declarations: a change there changes what
  // the mapping writes, so a resume must see it as a changed mapping.
  for (auto* list : {&project.mappings, &project.context}) {
    for (MappingSpec& mapping : *list) {
      std::set<std::string> declarations;
      for (const ColumnSpec& column : mapping.columns) {
        if (!column.lookup || column.lookup->table.empty()) continue;
        if (project.find_mapping(column.lookup->table) != nullptr) continue;
        const MigratedTable* migrated = project.find_migrated(column.lookup->table);
        if (migrated == nullptr) continue;
        std::string legacy;
        for (const auto& c : migrated->legacy_key_columns) legacy += c + ",";
        declarations.insert(fmt::format("{}|{}|{}|{}", migrated->name, migrated->table.display(),
                                        legacy, migrated->id_column));
      }
      if (declarations.empty()) continue;
      std::string text = mapping.file_checksum;
      for (const auto& d : declarations) text += "\n" + d;
      mapping.checksum = sha256_hex(text);
    }
  }
  return project;
}

}  // namespace mapengine::spec
