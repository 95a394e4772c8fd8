#include "engine/common/connection_config.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

#include "engine/common/secrets.h"

namespace mapengine {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

bool is_variable_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// The value part of a dotenv line (after `=`), unquoted.
std::string dotenv_value(std::string_view raw) {
  raw = trim(raw);
  if (raw.size() >= 2 && raw.front() == '\'') {
    size_t close = raw.find('\'', 1);
    if (close != std::string_view::npos) return std::string(raw.substr(1, close - 1));
  }
  if (raw.size() >= 2 && raw.front() == '"') {
    std::string out;
    for (size_t i = 1; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '"') return out;
      if (c == '\\' && i + 1 < raw.size()) {
        char next = raw[++i];
        out += next == 'n' ? '\n' : next;
      } else {
        out += c;
      }
    }
    return out;  // unterminated: take what is there
  }
  // Unquoted: an inline comment starts at " #".
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '#' && (i == 0 || std::isspace(static_cast<unsigned char>(raw[i - 1])))) {
      return std::string(trim(raw.substr(0, i)));
    }
  }
  return std::string(raw);
}

std::string read_file_or_empty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string resolve_one(const std::optional<std::string>& flag, const char* variable,
                        const std::map<std::string, std::string>& dotenv) {
  if (flag) return *flag;
  if (const char* value = std::getenv(variable); value != nullptr && *value != '\0') return value;
  auto it = dotenv.find(variable);
  return it == dotenv.end() ? std::string() : it->second;
}

}  // namespace

std::map<std::string, std::string> parse_dotenv(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::string_view view = trim(line);
    if (view.empty() || view.front() == '#') continue;
    if (view.substr(0, 7) == "export ") view = trim(view.substr(7));
    size_t eq = view.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = trim(view.substr(0, eq));
    if (!is_variable_name(name)) continue;
    out[std::string(name)] = dotenv_value(view.substr(eq + 1));
  }
  return out;
}

ConnectionConfig resolve_connections(std::optional<std::string> source_flag,
                                     std::optional<std::string> target_flag,
                                     const std::string& dotenv_path) {
  std::map<std::string, std::string> dotenv;
  if (!source_flag || !target_flag) dotenv = parse_dotenv(read_file_or_empty(dotenv_path));
  ConnectionConfig config;
  config.source = resolve_one(source_flag, kSourceUrlVariable, dotenv);
  config.target = resolve_one(target_flag, kTargetUrlVariable, dotenv);
  remember_secrets_of(config.source);
  remember_secrets_of(config.target);
  return config;
}

ConnectionConfig resolve_connections(std::optional<std::string> source_flag,
                                     std::optional<std::string> target_flag) {
  return resolve_connections(std::move(source_flag), std::move(target_flag), ".env");
}

}  // namespace mapengine
