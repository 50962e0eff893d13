// XEP-0363 HTTP File Upload: the upload.<domain> component answers disco and slot requests;
// the HTTP listener's /upload/ route takes the PUTs and serves the GETs (upload_service.cpp).
#include "modules/upload/upload.h"

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <fstream>

#include "base/encoding.h"
#include "modules/module_context.h"
#include "modules/upload/upload_service.h"
#include "modules/upload/upload_urls.h"
#include "router/router.h"
#include "stanza/namespaces.h"

namespace chorus::modules::upload {

namespace {
namespace fs = std::filesystem;

constexpr auto expiry_period = std::chrono::hours(1);

std::int64_t unix_now(const Server& server)
{
    return std::chrono::duration_cast<std::chrono::seconds>(server.clock().now().time_since_epoch())
        .count();
}

/// upload.secret, or one generated at the first start and kept beside the files, so URLs
/// stay valid across restarts.
std::optional<std::string> load_secret(const Config& c)
{
    if (!c.upload.secret.empty()) {
        return c.upload.secret;
    }
    const auto path = fs::path(c.data_dir) / "upload" / "secret";
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (std::ifstream in(path); in) {
        std::string secret;
        if (std::getline(in, secret) && secret.size() >= 32) {
            return secret;
        }
    }
    const auto secret = hex_encode(random_bytes(32));
    {
        std::ofstream out(path, std::ios::trunc);
        out << secret << '\n';
        if (!out.flush()) {
            return std::nullopt;
        }
    }
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, ec);
    return secret;
}

xml::Element disco_info(const xml::Element& iq, const UploadConfig& c)
{
    xml::Element reply("iq", iq.ns());
    reply.set_attr("type", "result").set_attr("id", iq.attr("id"));
    reply.set_attr("from", iq.attr("to")).set_attr("to", iq.attr("from"));
    auto& query = reply.add_child("query", std::string(ns::disco_info));
    query.add_child("identity", std::string(ns::disco_info))
        .set_attr("category", "store")
        .set_attr("type", "file")
        .set_attr("name", "HTTP File Upload");
    query.add_child("feature", std::string(ns::disco_info)).set_attr("var", ns::disco_info);
    query.add_child("feature", std::string(ns::disco_info)).set_attr("var", ns::http_upload);
    // XEP-0363 §3: the size limit as a XEP-0128 form.
    auto& form = query.add_child("x", std::string(ns::data_forms));
    form.set_attr("type", "result");
    auto& type = form.add_child("field", std::string(ns::data_forms));
    type.set_attr("var", "FORM_TYPE").set_attr("type", "hidden");
    type.add_child("value", std::string(ns::data_forms)).add_text(ns::http_upload);
    form.add_child("field", std::string(ns::data_forms))
        .set_attr("var", "max-file-size")
        .add_child("value", std::string(ns::data_forms))
        .add_text(std::to_string(c.max_file_size));
    return reply;
}

void handle_stanza(Server& server, UploadService& service, xml::Element stanza)
{
    auto answer = [&](xml::Element reply) {
        if (!reply.name().empty()) {
            server.router().route(std::move(reply));
        }
    };
    auto refuse = [&](StanzaError e) {
        if (auto reply = error_reply(stanza, e)) {
            server.router().route(std::move(*reply));
        }
    };
    if (stanza.name() != "iq") {
        if (stanza.name() == "message") {
            refuse(StanzaError::service_unavailable());
        }
        return;  // presence: nothing to do
    }
    const auto type = stanza.attr("type");
    if (type == "result" || type == "error") {
        return;
    }
    if (stanza.element_count() != 1) {
        return refuse(StanzaError::bad_request("An IQ request must have exactly one child"));
    }
    const auto jid = Jid::parse(stanza.attr("to"));
    const bool to_service = jid && jid->node().empty() && !jid->is_full();
    const auto* payload = stanza.first_element();
    if (to_service && type == "get" && payload->is("query", ns::disco_info) &&
        payload->attr("node").empty()) {
        return answer(disco_info(stanza, server.config().upload));
    }
    if (to_service && type == "get" && payload->is("query", ns::disco_items)) {
        xml::Element reply("iq", stanza.ns());
        reply.set_attr("type", "result").set_attr("id", stanza.attr("id"));
        reply.set_attr("from", stanza.attr("to")).set_attr("to", stanza.attr("from"));
        reply.add_child("query", std::string(ns::disco_items));
        return answer(std::move(reply));
    }
    if (to_service && type == "get" && payload->is("request", ns::http_upload)) {
        const auto from = Jid::parse(stanza.attr("from"));
        // Local accounts only (Prosody's default): a stranger must not fill our disk.
        if (!from || !server.is_local_domain(from->domain()) || from->node().empty()) {
            return refuse(StanzaError::forbidden("Uploads are for this server's users"));
        }
        if (server.http_url().empty()) {
            return refuse(StanzaError::service_unavailable("The HTTP listener is off"));
        }
        return answer(
            service.slot(stanza, from->bare().str(), server.http_url(), unix_now(server)));
    }
    refuse(StanzaError::service_unavailable());
}

struct State {
    std::shared_ptr<UploadService> service;
    std::unique_ptr<boost::asio::steady_timer> expiry;
};

void expire_files(Server& server, State& st)
{
    const auto cutoff =
        unix_now(server) - std::int64_t{server.config().upload.expire_after_days} * 86400;
    if (const auto n = st.service->expire(cutoff); n > 0) {
        spdlog::info("upload: {} files expired", n);
    }
    st.expiry->expires_after(expiry_period);
    st.expiry->async_wait([&server, &st](boost::system::error_code ec) {
        if (!ec) {
            expire_files(server, st);
        }
    });
}
}  // namespace

ModuleSpec spec()
{
    return {.name = "upload",
            .xeps = {{363, "1.1.0"}},
            .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                auto& server = ctx.server();
                const auto& c = server.config();
                if (!c.upload.enabled || !c.http.enabled) {
                    return;
                }
                auto secret = load_secret(c);
                if (!secret) {
                    spdlog::error("upload: cannot write {}/upload/secret", c.data_dir);
                    return;
                }
                storage::UploadFiles files(fs::path(c.data_dir) / "upload" / "files");
                if (auto opened = files.open(); !opened) {
                    spdlog::error("{}", opened.error());
                    return;
                }
                auto st = std::make_shared<State>();
                st->service =
                    std::make_shared<UploadService>(c.upload, std::move(*secret), std::move(files));
                st->expiry = std::make_unique<boost::asio::steady_timer>(server.io());
                for (const auto& domain : c.domains) {
                    ctx.serve_domain(
                        "upload." + domain,
                        {"store", "file", "HTTP File Upload", [&server, st](xml::Element s) {
                             handle_stanza(server, *st->service, std::move(s));
                             return std::int64_t{0};
                         }});
                }
                ctx.serve_http(std::string(path_prefix),
                               {.before_body =
                                    [&server, st](const HttpRequest& head) {
                                        return st->service->before_body(head, unix_now(server));
                                    },
                                .handle = {}});
                expire_files(server, *st);
                ctx.on_unload([st] { st->expiry->cancel(); });
            }};
}

}  // namespace chorus::modules::upload
