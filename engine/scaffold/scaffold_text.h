// Text helpers of `mapengine scaffold`: name rules (plural to singular, loose comparison) and
// the YAML spelling of names and values in a drafted mapping file.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mapengine::scaffold {

bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);
bool contains(const std::vector<std::string>& list, std::string_view item);
std::string lower(std::string_view text);
std::string upper(std::string_view text);
// Without leading and trailing blanks and tabs.
std::string trim_blanks(std::string_view text);

// A plural table name as a singular word: "technicians" -> "technician", "categories" ->
// "category", "addresses" -> "address". A rule, not a dictionary: callers try other names too.
std::string singular(std::string_view plural);
// Lower case without underscores: "First_Name" -> "firstname".
std::string loose_name(std::string_view name);

// A YAML scalar: plain when safe (a name; not a word YAML reads as a boolean or null), else
// double-quoted.
std::string yaml_scalar(std::string_view text);
// Always double-quoted, with YAML escapes.
std::string yaml_quoted(std::string_view text);
// "a" for one name, "[a, b]" for several, each a yaml_scalar.
std::string flow_list(const std::vector<std::string>& names);
// "\"a\", \"b\"": values quoted for a comment.
std::string quoted_list(const std::vector<std::string>& values);

}  // namespace mapengine::scaffold
