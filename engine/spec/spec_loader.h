// Loading mapping files: YAML text -> schema check -> typed model (mapping_spec.h), keeping the
// line and column of every element. Problems become Diagnostics; the loader never throws for bad
// input and never crashes on it (malformed YAML, binary garbage, huge or deeply nested files).
//
// Thread-safety: stateless functions.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/common/diagnostic.h"
#include "engine/spec/mapping_spec.h"

namespace mapengine::spec {

// Files larger than this are refused (a mapping is a few kilobytes).
inline constexpr size_t kMaxSpecFileBytes = 4 * 1024 * 1024;
// Documents nested deeper than this, or holding more values than kMaxExpandedNodes once aliases
// are expanded, are refused: code walking a parsed document may then recurse safely.
inline constexpr int kMaxNestingDepth = 256;
inline constexpr size_t kMaxExpandedNodes = 1000000;

struct ParsedFile {
  std::string path;
  std::string checksum;  // sha256 hex of the bytes
  YAML::Node root;
};

// Reads and parses one YAML file. nullopt (with a diagnostic) when unreadable, not UTF-8 text,
// not YAML, or beyond the limits above.
std::optional<ParsedFile> parse_file(const std::string& path, Diagnostics& diagnostics);
// Parses YAML text as if read from `path` (for tests and the fuzzer).
std::optional<ParsedFile> parse_text(const std::string& path, const std::string& text,
                                     Diagnostics& diagnostics);

// Builds the model of a `kind: mapping` document. REQUIRES: the document passed the schema
// check; still defensive. Appends diagnostics for what cannot be built (e.g. unset ${VAR}).
std::optional<MappingSpec> build_mapping(const ParsedFile& file, Diagnostics& diagnostics);
// Builds the tables of a `kind: migrated` document.
std::vector<MigratedTable> build_migrated(const ParsedFile& file, Diagnostics& diagnostics);

// "mapping" or "migrated" (default "mapping"); empty when the root is not a map.
std::string document_kind(const YAML::Node& root);

// Expands files and folders (a folder: its *.yaml / *.yml files, sorted) into file paths.
// Missing paths become diagnostics.
std::vector<std::string> expand_paths(const std::vector<std::string>& paths,
                                      Diagnostics& diagnostics);

// Loads the named files/folders plus, as context, every other YAML file in the same folders.
// Runs the schema check on every file. Semantic rules are separate (lint/semantic_rules.h).
Project load_project(const std::vector<std::string>& paths, Diagnostics& diagnostics);

// The location of a YAML node in `file` (1-based line and column).
SourceLocation location_of(const YAML::Node& node, const std::string& file);

// Expands ${VAR} and ${VAR:-default} from the environment; $${ is a literal ${.
// Returns nullopt and sets `missing` to the variable name when a variable is unset.
std::optional<std::string> interpolate_env(std::string_view text, std::string& missing);

}  // namespace mapengine::spec
