// UploadService: the state of XEP-0363 on this server: the secret, the files, the policy,
// and the worker thread that does its disk work. The component (slot requests) and the
// HTTP route (PUT, GET) both use it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/config.h"
#include "server/http_routes.h"
#include "stanza/stanza_error.h"
#include "storage/upload_files.h"
#include "xml/element.h"

namespace chorus::modules::upload {

class UploadService : public std::enable_shared_from_this<UploadService> {
public:
    UploadService(const UploadConfig& config, std::string secret, storage::UploadFiles files)
        : config_(config), secret_(std::move(secret)), files_(std::move(files))
    {
    }
    const UploadConfig& config() const noexcept { return config_; }
    storage::UploadFiles& files() noexcept { return files_; }

    /// XEP-0363 §4: the answer to <request filename size content-type/> from owner (a bare
    /// JID); base_url: where the HTTP listener is reached.
    xml::Element slot(const xml::Element& iq, std::string_view owner, std::string_view base_url,
                      std::int64_t now);
    /// The HTTP route, from the request's header alone: the refusals, GET (a file range), and
    /// for a valid PUT a sink that writes the body to disk as it arrives.
    boost::asio::awaitable<HttpAdmission> before_body(const HttpRequest& head, std::int64_t now);

    /// Runs f() (blocking disk work) on the worker; resumes on the caller's executor. f is
    /// a named lambda of the caller: GCC 12 destroys class temporaries in a co_await
    /// expression twice (PR 100611), so none are passed here.
    template <class F>
    boost::asio::awaitable<std::invoke_result_t<F&>> on_disk(F& f)
    {
        using R = std::invoke_result_t<F&>;
        // co_spawn wants a default-constructible result; Result<T, E> is not.
        auto job = [&f]() -> boost::asio::awaitable<std::optional<R>> { co_return f(); };
        auto r = co_await boost::asio::co_spawn(disk_, job, boost::asio::use_awaitable);
        co_return std::move(*r);
    }
    /// Drops an unfinished upload: its reservation now, its file on the worker.
    void abandon(const std::string& id, OwnedFd data);
    /// Deletes the expired files from the index now and from the disk on the worker.
    std::size_t expire(std::int64_t cutoff);

private:
    boost::asio::awaitable<HttpAdmission> put(const HttpRequest& head, std::int64_t now);
    boost::asio::awaitable<HttpAdmission> get(const HttpRequest& head, std::int64_t now);

    const UploadConfig& config_;
    std::string secret_;
    storage::UploadFiles files_;
    boost::asio::thread_pool disk_{1};  // last member: joined first, while the rest lives
};

}  // namespace chorus::modules::upload
