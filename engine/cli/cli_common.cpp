#include "engine/cli/cli_common.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "engine/common/diagnostic.h"
#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/common/retry.h"
#include "engine/common/secrets.h"
#include "engine/lint/database_rules.h"
#include "engine/pg/connection.h"
#include "engine/spec/spec_loader.h"

namespace mapengine::cli {

void ConnectionFlags::add_to(CLI::App& command, std::string_view source_note,
                             std::string_view target_note) {
  command.add_option("--source", source,
                     fmt::format("legacy database (libpq string or URI); default: "
                                 "MAPENGINE_SOURCE_URL or .env{}",
                                 source_note));
  command.add_option("--target", target,
                     fmt::format("target database (libpq string or URI); default: "
                                 "MAPENGINE_TARGET_URL or .env{}",
                                 target_note));
}

ConnectionConfig ConnectionFlags::resolve(bool need_source, bool need_target) const {
  ConnectionConfig config = resolve_connections(source, target);
  if (need_source && config.source.empty()) {
    throw Error::usage(
        "no source database: set MAPENGINE_SOURCE_URL (environment or .env) or pass --source");
  }
  if (need_target && config.target.empty()) {
    throw Error::usage(
        "no target database: set MAPENGINE_TARGET_URL (environment or .env) or pass --target");
  }
  return config;
}

void LogFlags::add_to(CLI::App& command, std::string_view verbose_help, std::string_view note) {
  command
      .add_option("--log-format", format,
                  fmt::format("log lines as auto, text or json (auto: json in CI){}", note))
      ->check(CLI::IsMember({"auto", "text", "json"}));
  if (!verbose_help.empty()) command.add_flag("-v,--verbose", verbose, std::string(verbose_help));
}

LogFormat log_format_for(std::string_view flag) {
  if (flag == "json") return LogFormat::kJson;
  if (flag == "auto") {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && *ci != '\0' && !isatty(STDERR_FILENO)) return LogFormat::kJson;
  }
  return LogFormat::kText;
}

void LogFlags::configure() const { configure_logging(log_format_for(format), verbose); }

void hide_command_line_passwords(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    for (std::string_view flag : {"--source", "--target"}) {
      char* value = nullptr;
      if (arg == flag && i + 1 < argc) {
        value = argv[i + 1];
      } else if (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag &&
                 arg[flag.size()] == '=') {
        value = argv[i] + flag.size() + 1;
      }
      if (value == nullptr || password_of(value).empty()) continue;
      // In place: argv's memory is what /proc/PID/cmdline shows. A password shorter than
      // "***" makes the redacted text longer; its end is cut then.
      std::string redacted = redact_conninfo(value);
      size_t length = std::strlen(value);
      size_t kept = std::min(redacted.size(), length);
      std::memcpy(value, redacted.data(), kept);
      std::memset(value + kept, 0, length - kept);
      print_event(spdlog::level::warn, "password_on_command_line",
                  fmt::format("mapengine: warning: {0} holds a password on the command line, "
                              "where other users can read it (ps, /proc) and the shell history "
                              "keeps it; it is now hidden from this process's command line. Put "
                              "the URL in {1} (environment or .env) or the password in "
                              "~/.pgpass instead",
                              flag, flag == "--source" ? kSourceUrlVariable : kTargetUrlVariable),
                  {{"option", std::string(flag)}});
    }
  }
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = fmt::format("{}.tmp{}", path, getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw Error::io(fmt::format("cannot write {}", temporary));
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    throw Error::io(fmt::format("cannot write {}: {}", path, ec.message()));
  }
}

void stop_on_errors(Diagnostics& diagnostics, std::string_view what, std::string_view then) {
  diagnostics.sort();
  for (const auto& d : diagnostics.items()) {
    bool error = d.severity == Severity::kError;
    print_event(error ? spdlog::level::err : spdlog::level::warn, "diagnostic", d.to_string(),
                {{"file", d.where.file},
                 {"line", d.where.line},
                 {"column", d.where.column},
                 {"severity", error ? "error" : "warning"},
                 {"rule", d.rule},
                 {"message", d.message}});
  }
  if (diagnostics.has_errors()) {
    throw Error(ErrorKind::kSpec, fmt::format("{} {}: {}", diagnostics.error_count(), what, then));
  }
}

spec::Project load_checked_project(const std::vector<std::string>& paths) {
  Diagnostics diagnostics;
  spec::Project project = spec::load_project(paths, diagnostics);
  if (!diagnostics.has_errors()) plan::make_plan(project, diagnostics);
  stop_on_errors(diagnostics, "lint error(s)",
                 "fix them before running (mapengine lint shows the same findings)");
  if (project.mappings.empty()) throw Error::usage("no mapping files to act on");
  return project;
}

void check_databases_first(const spec::Project& project, const ApplyOptions& options) {
  std::optional<pg::Connection> source(std::in_place, options.source_url, "source");
  std::optional<pg::Connection> target(std::in_place, options.target_url, "target");
  std::vector<std::string> files;
  for (const auto& mapping : project.mappings) files.push_back(mapping.file);
  Diagnostics diagnostics;
  with_retries(options.retry, "checking the mappings against the databases", [&] {
    diagnostics = Diagnostics();
    if (!source->is_ok()) source.emplace(options.source_url, "source");
    if (!target->is_ok()) target.emplace(options.target_url, "target");
    lint::check_databases(project, files, *source, *target, diagnostics);
  });
  stop_on_errors(diagnostics, "error(s) against the databases",
                 "fix them first; nothing was written (mapengine lint --db shows the "
                 "same findings)");
}

}  // namespace mapengine::cli
