// apply through pgbouncer in transaction mode (the way Supabase's pooler works): no session state
// may be relied on across transactions, and no named prepared statement may be kept.
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::shell_quote;

namespace {

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  int port = ntohs(address.sin_port);
  close(fd);
  return port;
}

std::string conninfo_value(const std::string& conninfo, const std::string& key) {
  std::smatch match;
  if (std::regex_search(conninfo, match, std::regex(key + "=([^ ]+)"))) return match[1];
  return "";
}

// A pgbouncer in transaction pooling mode in front of the test server, for one test.
class Bouncer {
 public:
  explicit Bouncer(const std::string& dir) : port_(free_port()) {
    std::string admin = mapengine::testing::admin_url();
    std::string user = conninfo_value(admin, "user");
    std::ofstream(dir + "/users.txt") << "\"" << user << "\" \"\"\n";
    std::ofstream(dir + "/pgbouncer.ini")
        << "[databases]\n* = host=127.0.0.1 port=" << conninfo_value(admin, "port") << "\n"
        << "[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = " << port_ << "\n"
        << "unix_socket_dir =\nauth_type = trust\nauth_file = " << dir << "/users.txt\n"
        << "pool_mode = transaction\nmax_client_conn = 100\ndefault_pool_size = 4\n"
        << "ignore_startup_parameters = extra_float_digits,application_name\n"
        << "logfile = " << dir << "/pgbouncer.log\n";
    std::string as_owner = getuid() == 0 ? "chown -R postgres " + shell_quote(dir) +
                                               " && runuser -u postgres -- "
                                         : "";
    std::string command = as_owner + "/usr/sbin/pgbouncer " + shell_quote(dir + "/pgbouncer.ini") +
                          " > " + shell_quote(dir + "/stdout.log") + " 2>&1 & echo $!";
    FILE* pipe = popen(("sh -c " + shell_quote(command)).c_str(), "r");
    if (pipe != nullptr) {
      if (fscanf(pipe, "%d", &pid_) != 1) pid_ = 0;
      pclose(pipe);
    }
    for (int i = 0; i < 100; ++i) {  // wait until it accepts connections
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<uint16_t>(port_));
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool up = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      close(fd);
      if (up) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~Bouncer() {
    std::system("pkill -f 'pgbouncer.*pgbouncer.ini' > /dev/null 2>&1");
  }
  // The conninfo of `database` through the pooler.
  std::string url(const std::string& database) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + database + " user=" +
           conninfo_value(mapengine::testing::admin_url(), "user");
  }

 private:
  int port_;
  int pid_ = 0;
};

}  // namespace

TEST_CASE("the nine-table example applies clean through pgbouncer in transaction mode",
          "[apply][pooler]") {
  MigrationFixture f;
  std::string setup = "cd " + shell_quote(MAPENGINE_SOURCE_DIR) + " && env " + f.env() +
                      " examples/setup.sh 0.2 > /dev/null 2>&1";
  REQUIRE(std::system(setup.c_str()) == 0);
  Bouncer bouncer(mapengine::testing::scratch_dir("pgbouncer"));
  std::string env = "MAPENGINE_SOURCE_URL=" + shell_quote(f.source.url()) +
                    " MAPENGINE_TARGET_URL=" + shell_quote(bouncer.url(f.target.name()));
  CommandResult r = mapengine::testing::run_mapengine(
      "apply --no-progress --jobs 2 mappings/", env, MAPENGINE_SOURCE_DIR);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.mappings WHERE status = 'complete'") ==
        "9");
  // The documented dirty rows, and only those, were set aside.
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects") == "12");
  CHECK(f.target.scalar("SELECT sum(rows_read) - sum(rows_written) - sum(rows_rejected) FROM "
                        "mapengine.checkpoints") == "0");
}
