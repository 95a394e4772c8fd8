// closest_name: the "did you mean" of every message that names an unknown word (a YAML key, a
// transform, a column, a table, a time zone, a command). One rule everywhere, so a typo gets the
// same suggestion from lint, apply and the CLI.
//
// A candidate is close enough when its optimal string alignment distance to the word (Levenshtein
// plus swapping two neighbours, "tabel"; ASCII case ignored) is at most max(1, min(3, (n + 1) / 3))
// for a word of n characters, or when one is a prefix of the other and the shorter has at least
// 3 characters ("regex" for "regex_replace"). The closest such candidate wins, the first one on
// a tie; an exact match is not a suggestion.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mapengine {

// Empty when no candidate is close enough.
std::string closest_name(std::string_view word, const std::vector<std::string_view>& candidates);
std::string closest_name(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace mapengine
