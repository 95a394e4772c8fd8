#include "engine/scaffold/scaffold_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace mapengine::scaffold {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string trim_blanks(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return std::string(text.substr(begin, text.find_last_not_of(" \t") - begin + 1));
}

std::string singular(std::string_view plural) {
  std::string word(plural);
  if (ends_with(word, "ies") && word.size() > 3) return word.substr(0, word.size() - 3) + "y";
  if (ends_with(word, "sses")) return word.substr(0, word.size() - 2);
  if (ends_with(word, "s") && !ends_with(word, "ss") && word.size() > 1) {
    return word.substr(0, word.size() - 1);
  }
  return word;
}

std::string loose_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string yaml_quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string yaml_scalar(std::string_view text) {
  static const std::set<std::string> kSpecial = {"true", "false", "yes", "no", "on",
                                                 "off",  "null",  "y",   "n",  "~"};
  bool plain =
      !text.empty() && (std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_');
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
      plain = false;
    }
  }
  if (plain && kSpecial.count(lower(text))) plain = false;
  return plain ? std::string(text) : yaml_quoted(text);
}

std::string flow_list(const std::vector<std::string>& names) {
  if (names.size() == 1) return yaml_scalar(names[0]);
  std::vector<std::string> parts;
  for (const auto& n : names) parts.push_back(yaml_scalar(n));
  return fmt::format("[{}]", fmt::join(parts, ", "));
}

std::string quoted_list(const std::vector<std::string>& values) {
  std::vector<std::string> shown;
  for (const auto& v : values) shown.push_back(yaml_quoted(v));
  return fmt::format("{}", fmt::join(shown, ", "));
}

}  // namespace mapengine::scaffold
