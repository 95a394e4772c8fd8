// Identity transforms: uuid_v4, uuid_v5 (deterministic from the row's table and legacy key),
// sha256 and md5 (hex digests of the value).
#include <fmt/format.h>

#include <openssl/evp.h>

#include "engine/common/error.h"
#include "engine/transform/argument_schema.h"
#include "engine/transform/factory_support.h"
#include "engine/transform/registry.h"
#include "engine/transform/uuid.h"

namespace mapengine {
namespace {

using TransformPtr = std::unique_ptr<Transform>;

class UuidV4 final : public Transform {
 public:
  Rejection apply(Value& value, const RowContext&) const override {
    if (!value.is_null()) value.set(uuid_v4());
    return std::nullopt;
  }
};

class UuidV5 final : public Transform {
 public:
  explicit UuidV5(std::string_view namespace_uuid) : generator_(namespace_uuid) {}

  Rejection apply(Value& value, const RowContext& row) const override {
    if (value.is_null()) return std::nullopt;
    const UuidText text = generator_.make_text(row.table, row.legacy_key);
    set_text(value, std::string_view(text.data(), text.size()));
    return std::nullopt;
  }

 private:
  UuidV5Generator generator_;
};

struct ContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
struct MdDeleter {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};

// A hex digest written into the value's reused buffer; one OpenSSL context per thread.
class Digest final : public Transform {
 public:
  explicit Digest(std::unique_ptr<EVP_MD, MdDeleter> md) : md_(std::move(md)) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> context(EVP_MD_CTX_new());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    const std::string_view text = value.text();
    if (!context || EVP_DigestInit_ex(context.get(), md_.get(), nullptr) != 1 ||
        EVP_DigestUpdate(context.get(), text.data(), text.size()) != 1 ||
        EVP_DigestFinal_ex(context.get(), digest, &length) != 1) {
      throw Error::internal("OpenSSL digest failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    char hex[2 * EVP_MAX_MD_SIZE];
    for (unsigned int i = 0; i < length; ++i) {
      hex[2 * i] = kHex[digest[i] >> 4];
      hex[2 * i + 1] = kHex[digest[i] & 0x0F];
    }
    set_text(value, std::string_view(hex, 2 * length));
    return std::nullopt;
  }

 private:
  std::unique_ptr<EVP_MD, MdDeleter> md_;
};

}  // namespace

void register_identity_transforms(TransformRegistry& registry) {
  using VT = ValueType;
  {
    TransformInfo info = transform_info("uuid_v4", "replaces a non-NULL value by a random UUID",
                                        VT::kAny, VT::kUuid, {});
    info.arguments.use = ArgumentSchemas::Main::kNone;
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("uuid_v4", a, d);
      if (!reader.no_main()) return nullptr;
      return std::make_unique<UuidV4>();
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info = transform_info("uuid_v5",
                                        "the row's deterministic UUID v5 from its table and "
                                        "legacy key (optional namespace)",
                                        VT::kAny, VT::kUuid, {});
    info.arguments = {ArgumentSchemas::Main::kOptional,
                      argument_schema::text("the namespace UUID (default: mapengine's own)"), {}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("uuid_v5", a, d);
      std::string space(kMapengineNamespace);
      if (reader.has_main()) {
        auto text = reader.text(reader.main(), "the namespace");
        if (!text) return nullptr;
        if (!parse_uuid(*text)) {
          reader.error(fmt::format("the namespace must be a UUID, not '{}'", *text));
          return nullptr;
        }
        space = *text;
      }
      return std::make_unique<UuidV5>(space);
    };
    registry.add(std::move(info));
  }
  for (bool sha : {true, false}) {
    const char* name = sha ? "sha256" : "md5";
    TransformInfo info = transform_info(name,
                                        sha ? "the SHA-256 digest of the value, in hex"
                                            : "the MD5 digest of the value, in hex",
                                        VT::kAny, VT::kText, {});
    info.arguments.use = ArgumentSchemas::Main::kNone;
    info.make_transform = [sha, name](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader(name, a, d);
      if (!reader.no_main()) return nullptr;
      std::unique_ptr<EVP_MD, MdDeleter> md(EVP_MD_fetch(nullptr, sha ? "SHA256" : "MD5", nullptr));
      if (!md) {
        reader.error(fmt::format("this OpenSSL build does not provide {}", name));
        return nullptr;
      }
      return std::make_unique<Digest>(std::move(md));
    };
    registry.add(std::move(info));
  }
}

}  // namespace mapengine
