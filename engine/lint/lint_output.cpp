#include "engine/lint/lint_output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "engine/lint/semantic_rules.h"

namespace mapengine::lint {
namespace {

using nlohmann::json;

std::string_view severity_name(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

std::string plural(size_t count, std::string_view word) {
  return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}

// GitHub workflow command escaping: data escapes %, CR, LF; properties also `:` and `,`.
std::string github_escape(std::string_view text, bool property) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      case ':':
        out += property ? "%3A" : ":";
        break;
      case ',':
        out += property ? "%2C" : ",";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A relative path as a SARIF artifact URI: forward slashes, unsafe bytes percent-encoded.
std::string artifact_uri(std::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    bool safe = std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_' || c == '~';
    if (c == '\\') {
      out += '/';
    } else if (safe) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// json::dump throws on invalid UTF-8 (a message may quote a broken file); replace instead.
std::string dump(const json& value, int indent) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::optional<LintFormat> parse_lint_format(std::string_view name) {
  if (name == "text") return LintFormat::kText;
  if (name == "json") return LintFormat::kJson;
  if (name == "github") return LintFormat::kGithub;
  if (name == "sarif") return LintFormat::kSarif;
  return std::nullopt;
}

std::string summary_line(const Diagnostics& diagnostics, size_t files) {
  return fmt::format("{}, {} in {}", plural(diagnostics.error_count(), "error"),
                     plural(diagnostics.warning_count(), "warning"), plural(files, "file"));
}

// A message's further lines are indented, so every finding starts a line with its location.
static std::string indent_continuations(std::string text) {
  for (size_t at = 0; (at = text.find('\n', at)) != std::string::npos; at += 5) {
    text.replace(at, 1, "\n    ");
  }
  return text;
}

std::string render_text(const Diagnostics& diagnostics, size_t files, bool color) {
  std::string out;
  for (const auto& d : diagnostics.items()) {
    if (!color) {
      out += indent_continuations(d.to_string()) + "\n";
      continue;
    }
    const char* tint = d.severity == Severity::kError ? "\x1b[1;31m" : "\x1b[1;33m";
    out +=
        fmt::format("\x1b[1m{}:\x1b[0m {}{}:\x1b[0m {} \x1b[2m[{}]\x1b[0m\n", d.where.to_string(),
                    tint, severity_name(d.severity), indent_continuations(d.message), d.rule);
  }
  std::string summary = summary_line(diagnostics, files);
  if (color) {
    const char* tint = diagnostics.has_errors()          ? "\x1b[1;31m"
                       : diagnostics.warning_count() > 0 ? "\x1b[1;33m"
                                                         : "\x1b[1;32m";
    summary = tint + summary + "\x1b[0m";
  }
  return out + summary + "\n";
}

std::string render_json(const Diagnostics& diagnostics) {
  json out = json::array();
  for (const auto& d : diagnostics.items()) {
    out.push_back({{"file", d.where.file},
                   {"line", d.where.line},
                   {"column", d.where.column},
                   {"severity", severity_name(d.severity)},
                   {"rule", d.rule},
                   {"message", d.message}});
  }
  return dump(out, 2) + "\n";
}

std::string render_github(const Diagnostics& diagnostics, size_t files) {
  std::string out;
  for (const auto& d : diagnostics.items()) {
    std::string properties = "file=" + github_escape(d.where.file, true);
    if (d.where.line > 0) properties += fmt::format(",line={}", d.where.line);
    if (d.where.column > 0) properties += fmt::format(",col={}", d.where.column);
    properties += ",title=" + github_escape(d.rule, true);
    out += fmt::format("::{} {}::{}\n", severity_name(d.severity), properties,
                       github_escape(d.message, false));
  }
  return out + summary_line(diagnostics, files) + "\n";
}

std::string render_sarif(const Diagnostics& diagnostics) {
  json rules = json::array();
  std::map<std::string, size_t> rule_index;
  auto add_rule = [&](std::string_view id, Severity severity, std::string_view summary) {
    rule_index.emplace(std::string(id), rules.size());
    rules.push_back({{"id", id},
                     {"shortDescription", {{"text", summary}}},
                     {"fullDescription",
                      {{"text", fmt::format("{} (docs/mapping-spec.md, Lint "
                                            "rules)",
                                            summary)}}},
                     {"defaultConfiguration", {{"level", severity_name(severity)}}}});
  };
  for (const auto& rule : lint_rules()) add_rule(rule.id, rule.severity, rule.summary);

  json results = json::array();
  for (const auto& d : diagnostics.items()) {
    if (rule_index.count(d.rule) == 0) add_rule(d.rule, d.severity, d.rule);
    json location = {{"artifactLocation", {{"uri", artifact_uri(d.where.file)}}}};
    if (d.where.line > 0) {
      json region = {{"startLine", d.where.line}};
      if (d.where.column > 0) region["startColumn"] = d.where.column;
      location["region"] = region;
    }
    results.push_back({{"ruleId", d.rule},
                       {"ruleIndex", rule_index[d.rule]},
                       {"level", severity_name(d.severity)},
                       {"message", {{"text", d.message}}},
                       {"locations", json::array({{{"physicalLocation", location}}})}});
  }
  json log = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({{{"tool",
                                      {{"driver",
                                        {{"name", "mapengine"},
                                         {"semanticVersion", MAPENGINE_VERSION},
                                         {"rules", rules}}}}},
                                     {"results", results}}})}};
  return dump(log, 2) + "\n";
}

std::string render_diagnostics(const Diagnostics& diagnostics, LintFormat format, size_t files,
                               bool color) {
  switch (format) {
    case LintFormat::kText:
      return render_text(diagnostics, files, color);
    case LintFormat::kJson:
      return render_json(diagnostics);
    case LintFormat::kGithub:
      return render_github(diagnostics, files);
    case LintFormat::kSarif:
      return render_sarif(diagnostics);
  }
  return render_text(diagnostics, files, color);
}

bool use_color() { return isatty(fileno(stdout)) != 0 && std::getenv("NO_COLOR") == nullptr; }

}  // namespace mapengine::lint
