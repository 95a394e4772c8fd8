#include "engine/common/secrets.h"

#include <catch2/catch.hpp>

using mapengine::password_of;
using mapengine::redact_conninfo;
using mapengine::redact_secrets_of;

TEST_CASE("connection strings are redacted in both syntaxes", "[secrets]") {
  CHECK(redact_conninfo("host=h user=u password=hunter2 dbname=d") ==
        "host=h user=u password=*** dbname=d");
  CHECK(redact_conninfo("host=h password = 'hun ter\\'2' dbname=d") ==
        "host=h password = *** dbname=d");
  CHECK(redact_conninfo("postgresql://u:hunter2@h:5432/d?sslmode=require") ==
        "postgresql://u:***@h:5432/d?sslmode=require");
  CHECK(redact_conninfo("postgres://u@h/d?sslmode=require&password=hunter2") ==
        "postgres://u@h/d?sslmode=require&password=***");
  CHECK(password_of("postgresql://u:hunter2@h/d") == "hunter2");
  CHECK(password_of("host=h password='a b'") == "a b");
  CHECK(mapengine::redact_secret("a hunter2 b hunter2", "hunter2") == "a *** b ***");
}

TEST_CASE("a connection string libpq refuses is still redacted", "[secrets]") {
  // An un-encoded '%': libpq's message quotes the token as written.
  std::string bad = "postgresql://u:Tr0ub%dor-Secret@host/db";
  CHECK(redact_conninfo(bad) == "postgresql://u:***@host/db");
  CHECK(redact_secrets_of("invalid percent-encoded token: \"Tr0ub%dor-Secret\"", bad) ==
        "invalid percent-encoded token: \"***\"");
  // A malformed IPv6 host: libpq prints the whole URI.
  std::string ipv6 = "postgresql://u:S3cret-v6@[::1/db";
  CHECK(redact_secrets_of("end of string reached when looking for matching \"]\" in IPv6 host "
                          "address in URI: \"" + ipv6 + "\"", ipv6)
            .find("S3cret") == std::string::npos);
  // Percent-encoded: both the written and the decoded form are secrets.
  std::string encoded = "postgresql://u:p%40ss%2Fw0rd@h/d";
  CHECK(redact_secrets_of("p%40ss%2Fw0rd p@ss/w0rd", encoded) == "*** ***");
  // Un-encoded '@' and '/' in the password: libpq would show the pieces as host or database.
  std::string raw = "postgresql://u:first@second/third@h/d";
  CHECK(redact_conninfo(raw) == "postgresql://u:***@h/d");
  std::string shown = redact_secrets_of("could not translate host name \"second/third@h\"", raw);
  CHECK(shown.find("second") == std::string::npos);
  CHECK(shown.find("third") == std::string::npos);
}

TEST_CASE("remembered secrets are redacted from any text", "[secrets]") {
  mapengine::remember_secrets_of("host=h password=RememberedPw9");
  CHECK(mapengine::redact_known_secrets("x RememberedPw9 y") == "x *** y");
  CHECK(mapengine::redact_known_secrets("nothing here") == "nothing here");
}
