#include "engine/common/secrets.h"

#include <libpq-fe.h>

#include <memory>

namespace mapengine {
namespace {

struct OptionsDeleter {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
using Options = std::unique_ptr<PQconninfoOption, OptionsDeleter>;

Options parse(std::string_view conninfo) {
  std::string copy(conninfo);
  char* error = nullptr;
  Options options(PQconninfoParse(copy.c_str(), &error));
  if (error != nullptr) PQfreemem(error);
  return options;
}

}  // namespace

std::string password_of(std::string_view conninfo) {
  Options options = parse(conninfo);
  if (!options) return {};
  for (PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr) return o->val;
  }
  return {};
}

std::string redact_secret(std::string_view text, std::string_view secret) {
  std::string out(text);
  if (secret.empty()) return out;
  for (size_t pos = out.find(secret); pos != std::string::npos;
       pos = out.find(secret, pos + 3)) {
    out.replace(pos, secret.size(), "***");
  }
  return out;
}

std::string redact_conninfo(std::string_view conninfo) {
  Options options = parse(conninfo);
  if (!options) return "<connection string>";
  std::string out;
  for (PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    std::string_view key(o->keyword);
    if (!out.empty()) out += ' ';
    out += key;
    out += '=';
    if (key == "password") {
      out += "***";
    } else {
      out += o->val;
    }
  }
  return out;
}

}  // namespace mapengine
