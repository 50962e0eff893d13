// UploadFiles: XEP-0363 files and their metadata on disk.
#include "storage/upload_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

namespace chorus::storage {

namespace fs = std::filesystem;

namespace {
std::optional<StoredFile> read_meta(const fs::path& path, std::string id)
{
    std::ifstream in(path);
    StoredFile f;
    f.id = std::move(id);
    std::string size, created;
    if (!std::getline(in, f.name) || !std::getline(in, f.owner) ||
        !std::getline(in, f.content_type) || !std::getline(in, size) ||
        !std::getline(in, created)) {
        return std::nullopt;
    }
    try {
        f.size = std::stoull(size);
        f.created = std::stoll(created);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    return f;
}

std::string errno_text(std::string_view what)
{
    return fmt::format("{}: {}", what, std::strerror(errno));
}

bool sync_dir(const fs::path& dir)
{
    OwnedFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return fd && ::fsync(fd.get()) == 0;
}
}  // namespace

Result<void, std::string> UploadFiles::open()
{
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) {
        return unexpected(fmt::format("upload: cannot create {}: {}", dir_.string(), ec.message()));
    }
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        if (!entry.is_directory()) {
            continue;
        }
        auto id = entry.path().filename().string();
        auto meta = read_meta(entry.path() / "meta", id);
        if (!meta || !fs::exists(entry.path() / "data")) {
            // A crash before the renames, or litter: not a file anyone was given.
            fs::remove_all(entry.path(), ec);
            continue;
        }
        used_[meta->owner] += meta->size;
        files_.emplace(id, std::move(*meta));
    }
    return {};
}

std::uint64_t UploadFiles::used_by(std::string_view owner) const
{
    auto it = used_.find(owner);
    return it == used_.end() ? 0 : it->second;
}

const StoredFile* UploadFiles::find(std::string_view id) const
{
    auto it = files_.find(id);
    return it == files_.end() ? nullptr : &it->second;
}

bool UploadFiles::reserve(std::string_view id)
{
    return !files_.contains(id) && writing_.emplace(id).second;
}

void UploadFiles::unreserve(std::string_view id)
{
    if (auto it = writing_.find(id); it != writing_.end()) {
        writing_.erase(it);
    }
}

void UploadFiles::add(const StoredFile& file)
{
    unreserve(file.id);
    if (files_.emplace(file.id, file).second) {
        used_[file.owner] += file.size;
    }
}

void UploadFiles::forget(const StoredFile& f)
{
    if (auto it = used_.find(f.owner); it != used_.end()) {
        it->second -= std::min(it->second, f.size);
        if (it->second == 0) {
            used_.erase(it);
        }
    }
}

std::vector<std::string> UploadFiles::take_expired(std::int64_t cutoff)
{
    std::vector<std::string> gone;
    for (auto it = files_.begin(); it != files_.end();) {
        if (it->second.created >= cutoff) {
            ++it;
            continue;
        }
        forget(it->second);
        gone.push_back(it->first);
        it = files_.erase(it);
    }
    return gone;
}

Result<OwnedFd, std::string> UploadFiles::create(const fs::path& dir, std::string_view id)
{
    const auto at = dir / id;
    std::error_code ec;
    fs::create_directory(at, ec);
    if (ec) {
        return unexpected(fmt::format("{}: {}", at.string(), ec.message()));
    }
    OwnedFd fd(::open((at / "data.tmp").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) {
        return unexpected(errno_text((at / "data.tmp").string()));
    }
    return fd;
}

Result<void, std::string> UploadFiles::append(int fd, std::string_view bytes)
{
    while (!bytes.empty()) {
        const auto n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return unexpected(errno_text("write"));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Result<void, std::string> UploadFiles::commit(const fs::path& dir, const StoredFile& file,
                                              OwnedFd data)
{
    const auto at = dir / file.id;
    if (::fsync(data.get()) != 0) {
        return unexpected(errno_text("fsync"));
    }
    data = OwnedFd();
    {
        std::ofstream m(at / "meta.tmp");
        m << file.name << '\n'
          << file.owner << '\n'
          << file.content_type << '\n'
          << file.size << '\n'
          << file.created << '\n';
        if (!m.flush()) {
            return unexpected(std::string("cannot write meta.tmp"));
        }
    }
    std::error_code ec;
    fs::rename(at / "data.tmp", at / "data", ec);
    if (!ec) {
        fs::rename(at / "meta.tmp", at / "meta", ec);  // last: meta makes the file exist
    }
    if (ec) {
        return unexpected(fmt::format("rename in {}: {}", at.string(), ec.message()));
    }
    sync_dir(at);
    return {};
}

Result<OwnedFd, std::string> UploadFiles::open_data(const fs::path& dir, std::string_view id)
{
    const auto path = dir / id / "data";
    OwnedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return unexpected(errno_text(path.string()));
    }
    return fd;
}

void UploadFiles::remove(const fs::path& dir, std::string_view id)
{
    std::error_code ec;
    fs::remove_all(dir / id, ec);
}

}  // namespace chorus::storage
