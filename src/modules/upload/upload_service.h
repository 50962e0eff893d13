// UploadService: the state of XEP-0363 on this server: the secret, the files, the policy.
// The component (slot requests) and the HTTP route (PUT, GET) both use it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/config.h"
#include "server/http_routes.h"
#include "stanza/stanza_error.h"
#include "storage/upload_files.h"
#include "xml/element.h"

namespace chorus::modules::upload {

class UploadService {
public:
    UploadService(const UploadConfig& config, std::string secret, storage::UploadFiles files)
        : config_(config), secret_(std::move(secret)), files_(std::move(files))
    {
    }
    storage::UploadFiles& files() noexcept { return files_; }

    /// XEP-0363 §4: the answer to <request filename size content-type/> from owner (a bare
    /// JID); base_url: where the HTTP listener is reached.
    xml::Element slot(const xml::Element& iq, std::string_view owner, std::string_view base_url,
                      std::int64_t now);
    /// The largest body a PUT may carry, checked before it is read (0: refuse).
    std::size_t max_body(const HttpRequest& head, std::int64_t now) const;
    HttpResponse handle(HttpRequest& request, std::int64_t now);

private:
    HttpResponse put(HttpRequest& request, std::int64_t now);
    HttpResponse get(const HttpRequest& request, std::int64_t now);

    const UploadConfig& config_;
    std::string secret_;
    storage::UploadFiles files_;
};

}  // namespace chorus::modules::upload
