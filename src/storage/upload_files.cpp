// UploadFiles: XEP-0363 files and their metadata on disk.
#include "storage/upload_files.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <fstream>
#include <sstream>

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
            // A crash between the two renames, or litter: not a file anyone was given.
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

Result<void, std::string> UploadFiles::store(const StoredFile& meta, std::string_view data)
{
    if (files_.contains(meta.id)) {
        return unexpected(std::string("exists"));
    }
    const auto dir = dir_ / meta.id;
    std::error_code ec;
    fs::create_directory(dir, ec);
    if (ec) {
        return unexpected(ec.message());
    }
    {
        std::ofstream out(dir / "data.tmp", std::ios::binary);
        out.write(data.data(), static_cast<std::streamsize>(data.size()));
        std::ofstream m(dir / "meta.tmp");
        m << meta.name << '\n'
          << meta.owner << '\n'
          << meta.content_type << '\n'
          << meta.size << '\n'
          << meta.created << '\n';
        if (!out.flush() || !m.flush()) {
            fs::remove_all(dir, ec);
            return unexpected(std::string("write failed"));
        }
    }
    fs::rename(dir / "data.tmp", dir / "data", ec);
    if (!ec) {
        fs::rename(dir / "meta.tmp", dir / "meta", ec);
    }
    if (ec) {
        fs::remove_all(dir, ec);
        return unexpected(std::string("rename failed"));
    }
    used_[meta.owner] += meta.size;
    files_.emplace(meta.id, meta);
    return {};
}

std::optional<std::string> UploadFiles::read(const StoredFile& file, std::uint64_t offset,
                                             std::uint64_t length) const
{
    std::ifstream in(dir_ / file.id / "data", std::ios::binary);
    if (!in || offset > file.size) {
        return std::nullopt;
    }
    length = std::min(length, file.size - offset);
    std::string out(length, '\0');
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(out.data(), static_cast<std::streamsize>(length));
    if (static_cast<std::uint64_t>(in.gcount()) != length) {
        return std::nullopt;
    }
    return out;
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

std::size_t UploadFiles::expire(std::int64_t cutoff)
{
    std::size_t n = 0;
    for (auto it = files_.begin(); it != files_.end();) {
        if (it->second.created >= cutoff) {
            ++it;
            continue;
        }
        std::error_code ec;
        fs::remove_all(dir_ / it->first, ec);
        forget(it->second);
        it = files_.erase(it);
        ++n;
    }
    return n;
}

}  // namespace chorus::storage
