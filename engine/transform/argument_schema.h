// JSON Schema texts for a transform's ArgumentSchemas (registry.h), one helper per shape that
// ArgumentReader (factory_support.h) reads. Typed as the YAML language server types YAML: a
// plain `80` is an integer, `yes` a string. Each takes a short description editors show.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace mapengine::argument_schema {

// A single value read as text (ArgumentReader::text): a string, number or boolean.
std::string text(std::string_view description);
// A single value or ~ (NULL).
std::string value(std::string_view description);
// A whole number from `min` to `max` (ArgumentReader::integer).
std::string integer(int64_t min, int64_t max, std::string_view description);
// true or false, or the words yes / no (ArgumentReader::boolean).
std::string boolean(std::string_view description);
// A single value or a non-empty list of them (ArgumentReader::text_list).
std::string text_or_list(std::string_view description);
// One of `allowed` (ArgumentReader::choice); a YAML null counts as "null" when that is allowed.
std::string choice(std::initializer_list<std::string_view> allowed, std::string_view description);
// A non-empty map from single values (or ~) to single values (or ~).
std::string value_map(std::string_view description);
// A transform step, or a non-empty list of them (as a column's `transform:`).
std::string steps(std::string_view description);
// A map with only these keys, each a single value; `required` must be present.
std::string fields(std::initializer_list<std::string_view> keys,
                   std::initializer_list<std::string_view> required, std::string_view description);

}  // namespace mapengine::argument_schema
