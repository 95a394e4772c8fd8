// Redaction of secrets in connection strings, so that nothing mapengine prints, logs or stores
// ever contains a password.
//
// The password is found by a scan of the text of its own, never by libpq's parser: a string libpq
// refuses (an un-encoded `%`, a malformed IPv6 host) is exactly the one whose error message
// echoes it, so redaction must not depend on libpq accepting it.
//
// Thread-safety: the functions on strings are pure. The process-wide list of known secrets is
// filled by the main thread before workers start (remember_secrets_of) and read by any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mapengine {

// Returns `conninfo` (a libpq key=value string or a postgres:// URI) with every password replaced
// by "***"; the rest is kept as written.
std::string redact_conninfo(std::string_view conninfo);

// Returns `text` with every occurrence of `secret` replaced by "***" (no-op for empty secrets).
std::string redact_secret(std::string_view text, std::string_view secret);

// The password contained in a connection string, or empty. For a URI it is the userinfo's
// password (and a `password=` parameter) as written, percent-encoding not undone.
std::string password_of(std::string_view conninfo);

// Every text that reveals the password of `conninfo`: as written, percent-decoded, and the pieces
// libpq would take for a host or port when the password holds an un-encoded '@', '/' or ':'.
std::vector<std::string> secret_forms(std::string_view conninfo);

// Returns `text` with every form of `conninfo`'s password replaced by "***".
std::string redact_secrets_of(std::string_view text, std::string_view conninfo);

// Remembers the secrets of a connection string for redact_known_secrets. Call from the main
// thread before other threads start.
void remember_secrets_of(std::string_view conninfo);

// Returns `text` with every remembered secret replaced by "***". Every error and log line passes
// through it before it is printed.
std::string redact_known_secrets(std::string_view text);

}  // namespace mapengine
