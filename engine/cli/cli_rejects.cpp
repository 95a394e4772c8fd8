#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/cli/cli_common.h"
#include "engine/cli/commands.h"
#include "engine/common/error.h"
#include "engine/common/secrets.h"
#include "engine/pg/connection.h"
#include "engine/spec/spec_loader.h"
#include "engine/state/reject_store.h"

namespace mapengine::cli {
namespace {

struct RejectsFlags {
  std::vector<std::string> paths;
  ConnectionFlags connections;
  LogFlags log;
  std::string format = "csv";
  std::string output;
};

// One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF.
void append_csv(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// mapping, legacy_key, column, value, rule, reason, run_id, created_at. A NULL value is an empty
// field, an empty text value a quoted empty field ("").
void append_csv_row(std::string& out, const std::string& mapping, const state::StoredReject& r) {
  append_csv(out, mapping);
  out += ',';
  append_csv(out, r.legacy_key);
  out += ',';
  append_csv(out, r.column);
  out += ',';
  if (r.value) {
    if (r.value->empty()) {
      out += "\"\"";
    } else {
      append_csv(out, *r.value);
    }
  }
  out += ',';
  append_csv(out, r.rule);
  out += ',';
  append_csv(out, r.reason);
  out += ',';
  out += std::to_string(r.run_id);
  out += ',';
  append_csv(out, r.created_at);
  out += "\r\n";
}

}  // namespace

Runner add_rejects_command(CLI::App& app) {
  auto flags = std::make_shared<RejectsFlags>();
  CLI::App* sub = app.add_subcommand(
      "rejects",
      "Export the rows the given mappings set aside, with their reasons (legacy key, column, "
      "value, rule, reason, run, time)");
  sub->add_option("paths", flags->paths, "mapping files or folders")->required();
  flags->connections.add_to(*sub);
  flags->log.add_to(*sub);
  sub->add_option("--format", flags->format, "csv (default), json or text")
      ->check(CLI::IsMember({"csv", "json", "text"}));
  sub->add_option("-o,--output", flags->output, "write to this file instead of standard output");
  sub->footer("Exit codes: 0 exported (also when there are none), 2 usage, 4 database failure, "
              "5 a database error retrying cannot fix.");

  return [flags] {
    flags->log.configure();
    Diagnostics diagnostics;
    spec::Project project = spec::load_project(flags->paths, diagnostics);
    if (project.mappings.empty()) {
      for (const auto& d : diagnostics.items()) fmt::print(stderr, "{}\n", d.to_string());
      throw Error::usage("no mapping files found");
    }
    ConnectionConfig connections = flags->connections.resolve(false, true);
    fmt::print(stderr, "target: {}\n", redact_conninfo(connections.target));
    pg::Connection target(connections.target, "target");

    std::string text;
    nlohmann::json json = nlohmann::json::array();
    if (flags->format == "csv") {
      text = "mapping,legacy_key,column,value,rule,reason,run_id,created_at\r\n";
    }
    size_t total = 0;
    for (const auto& mapping : project.mappings) {
      std::vector<state::StoredReject> rejects = state::load_rejects(target, mapping.name);
      total += rejects.size();
      for (const auto& r : rejects) {
        if (flags->format == "csv") {
          append_csv_row(text, mapping.name, r);
        } else if (flags->format == "json") {
          json.push_back({{"mapping", mapping.name},
                          {"legacy_key", r.legacy_key},
                          {"column", r.column.empty() ? nlohmann::json() : nlohmann::json(r.column)},
                          {"value", r.value ? nlohmann::json(*r.value) : nlohmann::json()},
                          {"rule", r.rule},
                          {"reason", r.reason},
                          {"run_id", r.run_id},
                          {"created_at", r.created_at}});
        } else {
          text += fmt::format("{} {}: {}{}{}: {} (run {}, {})\n", mapping.name, r.legacy_key,
                              r.column.empty() ? "" : r.column,
                              r.value ? fmt::format(" = '{}'", *r.value) : "",
                              r.column.empty() && !r.value ? r.rule : " " + r.rule, r.reason,
                              r.run_id, r.created_at.substr(0, 19));
        }
      }
    }
    if (flags->format == "json") {
      text = json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    }
    if (flags->output.empty()) {
      fmt::print("{}", text);
    } else {
      std::ofstream file(flags->output, std::ios::binary | std::ios::trunc);
      file << text;
      file.close();
      if (!file) throw Error::io(fmt::format("cannot write the rejects to {}", flags->output));
      fmt::print(stderr, "{} rejects written to {}\n", total, flags->output);
    }
    return kExitOk;
  };
}

}  // namespace mapengine::cli
