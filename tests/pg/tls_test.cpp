// TLS: sslmode=verify-full against a server whose certificate is signed by a CA made here.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <regex>

#include "engine/common/error.h"
#include "engine/pg/connection.h"
#include "tests/support/test_database.h"

using mapengine::Error;
using mapengine::testing::shell_quote;

namespace {

int sh(const std::string& command) { return std::system(("sh -c " + shell_quote(command)).c_str()); }

// A private server with ssl=on, its certificate for "localhost" signed by a fresh CA.
struct TlsServer {
  std::string dir = mapengine::testing::scratch_dir("tls");
  std::string port;

  TlsServer() {
    std::string d = shell_quote(dir);
    REQUIRE(sh("cd " + d +
               " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mapengine-test-ca"
               " -keyout ca.key -out ca.crt 2>/dev/null"
               " && openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key"
               " -out server.csr 2>/dev/null"
               " && printf 'subjectAltName=DNS:localhost\\n' > ext.cnf"
               " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
               " -days 2 -extfile ext.cnf -out server.crt 2>/dev/null"
               " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca"
               " -keyout other.key -out other.crt 2>/dev/null"
               " && chmod 600 server.key && mkdir -p pg && chmod 755 . pg"
               " && if [ $(id -u) -eq 0 ]; then chown postgres server.key server.crt pg; fi") == 0);
    std::string env_file = dir + "/env";
    std::string start = "MAPENGINE_PG_EXTRA_OPTS='-c ssl=on -c ssl_cert_file=" + dir +
                        "/server.crt -c ssl_key_file=" + dir + "/server.key' " +
                        shell_quote(std::string(MAPENGINE_SOURCE_DIR) + "/scripts/pg-server.sh") +
                        " start " + shell_quote(dir + "/pg/server") + " --fast > " +
                        shell_quote(env_file);
    REQUIRE(sh(start) == 0);
    std::ifstream in(env_file);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    std::smatch match;
    REQUIRE(std::regex_search(text, match, std::regex("MAPENGINE_PG_PORT='([0-9]+)'")));
    port = match[1];
  }
  ~TlsServer() {
    sh(shell_quote(std::string(MAPENGINE_SOURCE_DIR) + "/scripts/pg-server.sh") + " stop " +
       shell_quote(dir + "/pg/server"));
  }
  std::string url(const std::string& host, const std::string& ca) const {
    return "host=" + host + " port=" + port + " user=postgres dbname=postgres sslmode=verify-full"
           " sslrootcert=" + dir + "/" + ca;
  }
};

}  // namespace

TEST_CASE("sslmode=verify-full connects with the right CA and fails clearly otherwise", "[tls]") {
  TlsServer server;
  {
    mapengine::pg::Connection conn(server.url("localhost", "ca.crt"), "target");
    auto result = conn.exec("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    CHECK(result.value(0, 0) == "t");
  }
  try {
    mapengine::pg::Connection conn(server.url("localhost", "other.crt"), "target");
    FAIL("a certificate from an unknown CA must be refused");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("certificate verify failed") != std::string::npos);
    CHECK(std::string(e.what()).find("target: cannot connect") != std::string::npos);
  }
  try {
    mapengine::pg::Connection conn(server.url("127.0.0.1", "ca.crt"), "source");
    FAIL("a certificate for another host name must be refused");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("does not match host name") != std::string::npos);
  }
}
