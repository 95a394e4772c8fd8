// Rendering lint findings for people and for tools:
//   text    `file:line:col: error|warning: message [rule-id]` lines, then a summary
//           "N errors, M warnings in K files"; coloured only when asked (see use_color).
//   json    an array of {file, line, column, severity, rule, message} objects.
//   github  GitHub Actions workflow commands (`::error file=...,line=...,col=...,title=rule::msg`),
//           which the runner shows as annotations on the pull request, then the summary.
//   sarif   SARIF 2.1.0 (GitHub code scanning, IDEs), with every lint rule in the tool's rules.
//
// Example:
//   diagnostics.sort();
//   std::fputs(render_diagnostics(diagnostics, LintFormat::kText, files, use_color()).c_str(),
//              stdout);
//
// Thread-safety: pure functions (use_color reads the environment).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/common/diagnostic.h"

namespace mapengine::lint {

enum class LintFormat { kText, kJson, kGithub, kSarif };

// "text", "json", "github", "sarif"; nullopt for anything else.
std::optional<LintFormat> parse_lint_format(std::string_view name);

// All diagnostics in `format`. `files` is the number of files linted (for the summary line).
std::string render_diagnostics(const Diagnostics& diagnostics, LintFormat format, size_t files,
                               bool color = false);

std::string render_text(const Diagnostics& diagnostics, size_t files, bool color);
std::string render_json(const Diagnostics& diagnostics);
std::string render_github(const Diagnostics& diagnostics, size_t files);
std::string render_sarif(const Diagnostics& diagnostics);

// "1 error, 2 warnings in 3 files".
std::string summary_line(const Diagnostics& diagnostics, size_t files);

// True when standard output is a terminal and NO_COLOR is not set.
bool use_color();

}  // namespace mapengine::lint
