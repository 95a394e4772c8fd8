// Redaction of secrets in connection strings, so that nothing mapengine prints, logs or stores
// ever contains a password.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace mapengine {

// Returns `conninfo` (a libpq key=value string or a postgres:// URI) with the password replaced
// by "***". Unparseable input is replaced entirely by "<connection string>".
std::string redact_conninfo(std::string_view conninfo);

// Returns `text` with every occurrence of `secret` replaced by "***" (no-op for empty secrets).
std::string redact_secret(std::string_view text, std::string_view secret);

// The password contained in a connection string, or empty.
std::string password_of(std::string_view conninfo);

}  // namespace mapengine
