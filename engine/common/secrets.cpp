#include "engine/common/secrets.h"

#include <algorithm>
#include <cctype>

namespace mapengine {
namespace {

// A span [begin, end) of the connection string that holds a password value.
struct Span {
  size_t begin = 0;
  size_t end = 0;
};

bool is_uri(std::string_view text) {
  return text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0;
}

// Password spans of a URI: the userinfo's password and every `password=` query parameter.
// The userinfo ends at the last '@' before the query, not the first: a password with an
// un-encoded '@' or '/' is still covered whole.
std::vector<Span> uri_password_spans(std::string_view uri) {
  std::vector<Span> spans;
  size_t start = uri.find("://") + 3;
  size_t query = uri.find('?', start);
  size_t at = uri.rfind('@', query == std::string_view::npos ? std::string_view::npos : query);
  if (at != std::string_view::npos && at >= start) {
    size_t colon = uri.find(':', start);
    if (colon != std::string_view::npos && colon < at) spans.push_back({colon + 1, at});
  }
  for (size_t pos = query; pos != std::string_view::npos && pos < uri.size();) {
    size_t begin = pos + 1;
    size_t end = std::min(uri.find('&', begin), uri.size());
    std::string_view parameter = uri.substr(begin, end - begin);
    if (parameter.rfind("password=", 0) == 0) spans.push_back({begin + 9, end});
    pos = end;
  }
  return spans;
}

// Password spans of a key=value string, read the way libpq reads it: `key = value`, the value
// either single-quoted (backslash escapes) or up to the next blank.
std::vector<Span> keyword_password_spans(std::string_view text) {
  std::vector<Span> spans;
  size_t i = 0;
  auto skip_blanks = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  while (i < text.size()) {
    skip_blanks();
    size_t key_begin = i;
    while (i < text.size() && text[i] != '=' && !std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    std::string_view key = text.substr(key_begin, i - key_begin);
    skip_blanks();
    if (i >= text.size() || text[i] != '=') {
      if (i == key_begin) ++i;  // stray character: move on
      continue;
    }
    ++i;
    skip_blanks();
    size_t value_begin = i;
    if (i < text.size() && text[i] == '\'') {
      ++i;
      while (i < text.size() && text[i] != '\'') i += text[i] == '\\' ? 2 : 1;
      i = std::min(i + 1, text.size());
    } else {
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) {
        i += text[i] == '\\' ? 2 : 1;
      }
      i = std::min(i, text.size());
    }
    if (key == "password" && i > value_begin) spans.push_back({value_begin, i});
  }
  return spans;
}

std::vector<Span> password_spans(std::string_view conninfo) {
  return is_uri(conninfo) ? uri_password_spans(conninfo) : keyword_password_spans(conninfo);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Undoes percent-encoding, keeping a malformed `%` as written.
std::string percent_decoded(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// A quoted keyword value without its quotes and escapes.
std::string unquoted(std::string_view value) {
  if (value.size() >= 2 && value.front() == '\'') value = value.substr(1, value.size() - 2);
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) ++i;
    out += value[i];
  }
  return out;
}

void add_form(std::vector<std::string>& forms, std::string form) {
  if (form.empty() || std::find(forms.begin(), forms.end(), form) != forms.end()) return;
  forms.push_back(std::move(form));
}

std::vector<std::string>& known_secrets() {
  static std::vector<std::string> secrets;
  return secrets;
}

}  // namespace

std::string password_of(std::string_view conninfo) {
  std::vector<Span> spans = password_spans(conninfo);
  if (spans.empty()) return {};
  std::string_view raw = conninfo.substr(spans.front().begin, spans.front().end -
                                                                  spans.front().begin);
  return is_uri(conninfo) ? std::string(raw) : unquoted(raw);
}

std::vector<std::string> secret_forms(std::string_view conninfo) {
  std::vector<std::string> forms;
  bool uri = is_uri(conninfo);
  for (const Span& span : password_spans(conninfo)) {
    std::string_view raw = conninfo.substr(span.begin, span.end - span.begin);
    add_form(forms, std::string(raw));
    add_form(forms, uri ? percent_decoded(raw) : unquoted(raw));
    if (!uri) continue;
    // libpq ends the userinfo at the first '@' or '/'; what follows may be shown as a host,
    // a port or a database name, so each piece of four or more characters is a secret too.
    std::string piece;
    for (size_t i = 0; i <= raw.size(); ++i) {
      if (i == raw.size() || raw[i] == '@' || raw[i] == '/' || raw[i] == ':') {
        if (piece.size() >= 4) {
          add_form(forms, piece);
          add_form(forms, percent_decoded(piece));
        }
        piece.clear();
      } else {
        piece += raw[i];
      }
    }
  }
  // Longest first, so that a form never leaves part of a longer one behind.
  std::sort(forms.begin(), forms.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return forms;
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

std::string redact_secrets_of(std::string_view text, std::string_view conninfo) {
  std::string out(text);
  for (const std::string& form : secret_forms(conninfo)) out = redact_secret(out, form);
  return out;
}

std::string redact_conninfo(std::string_view conninfo) {
  std::string out;
  size_t copied = 0;
  for (const Span& span : password_spans(conninfo)) {
    out.append(conninfo.substr(copied, span.begin - copied));
    out += "***";
    copied = span.end;
  }
  out.append(conninfo.substr(copied));
  return out;
}

void remember_secrets_of(std::string_view conninfo) {
  std::vector<std::string>& secrets = known_secrets();
  for (std::string& form : secret_forms(conninfo)) add_form(secrets, std::move(form));
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string redact_known_secrets(std::string_view text) {
  std::string out(text);
  for (const std::string& secret : known_secrets()) out = redact_secret(out, secret);
  return out;
}

}  // namespace mapengine
