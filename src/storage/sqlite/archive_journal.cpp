// ArchiveJournal: framed batches in numbered segment files, replayed after a crash.
#include "storage/sqlite/archive_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace chorus::storage::sqlite {
namespace {

// A segment is closed past this size, so the files SQLite has caught up with can go.
constexpr std::uint64_t segment_bytes = 64 * 1024 * 1024;
constexpr std::uint32_t frame_magic = 0x324a4843;      // "CHJ2": word-wise checksum
constexpr std::uint32_t fnv_frame_magic = 0x4a414843;  // "CHAJ": byte-wise, still replayed
constexpr std::size_t header_bytes = 16;               // magic, length, 64-bit checksum
constexpr std::uint8_t outgoing_flag = 1, same_body_flag = 2;

std::uint64_t fnv_checksum(std::string_view bytes) noexcept
{
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
    for (unsigned char c : bytes) {
        h = (h ^ c) * 1099511628211ULL;
    }
    return h;
}

/// Detects a torn or stale tail. Eight bytes per step: byte-wise FNV cost the I/O thread
/// 1,500 instructions a message, 5% of its work at saturation.
std::uint64_t checksum(std::string_view bytes) noexcept
{
    constexpr std::uint64_t prime = 0x9e3779b97f4a7c15ULL;
    std::uint64_t h = 1469598103934665603ULL ^ bytes.size();
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, bytes.data() + i, 8);
        h = (h ^ w) * prime;
        h ^= h >> 29;
    }
    for (; i < bytes.size(); ++i) {
        h = (h ^ static_cast<unsigned char>(bytes[i])) * prime;
    }
    return h ^ (h >> 32);
}

template <typename T>
void put(std::string& out, T v)
{
    char bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));
    out.append(bytes, sizeof(T));
}

template <typename T>
bool get(std::string_view& in, T& v)
{
    if (in.size() < sizeof(T)) {
        return false;
    }
    std::memcpy(&v, in.data(), sizeof(T));
    in.remove_prefix(sizeof(T));
    return true;
}

bool get_text(std::string_view& in, std::size_t n, std::string_view& out)
{
    if (in.size() < n) {
        return false;
    }
    out = in.substr(0, n);
    in.remove_prefix(n);
    return true;
}

StorageError io_error(const std::string& what)
{
    return StorageError{StorageError::Code::backend, what + ": " + std::strerror(errno)};
}

/// Decodes one frame's entries; false when the payload is not well formed.
bool decode(std::string_view payload, const std::function<void(const ArchiveEntry&)>& fn)
{
    std::string_view body;
    while (!payload.empty()) {
        ArchiveEntry e;
        std::uint8_t flags = 0;
        std::uint16_t owner_n = 0, with_n = 0;
        std::uint32_t stanza_n = 0;
        if (!get(payload, e.id) || !get(payload, e.stamp_us) || !get(payload, flags) ||
            !get(payload, owner_n) || !get(payload, with_n) || !get(payload, stanza_n) ||
            !get_text(payload, owner_n, e.owner) || !get_text(payload, with_n, e.with)) {
            return false;
        }
        if (!(flags & same_body_flag) && !get_text(payload, stanza_n, body)) {
            return false;
        }
        e.outgoing = (flags & outgoing_flag) != 0;
        e.stanza = body;
        fn(e);
    }
    return true;
}

}  // namespace

Result<std::unique_ptr<ArchiveJournal>, StorageError> ArchiveJournal::open(std::string dir,
                                                                           bool sync)
{
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return unexpected(StorageError{StorageError::Code::backend,
                                       "cannot create " + dir + ": " + ec.message()});
    }
    std::unique_ptr<ArchiveJournal> j(new ArchiveJournal(std::move(dir), sync));
    std::vector<std::pair<std::uint64_t, std::string>> found;
    for (const auto& f : std::filesystem::directory_iterator(j->dir_, ec)) {
        const auto name = f.path().filename().string();
        if (name.size() > 4 && name.ends_with(".log")) {
            found.emplace_back(std::strtoull(name.c_str(), nullptr, 10), f.path().string());
        }
    }
    std::sort(found.begin(), found.end());
    for (auto& [number, path] : found) {
        // Replayed entries are older than anything appended from now on: last_id 0 lets
        // the first release_through() after their ingestion delete them.
        j->closed_.push_back({std::move(path), 0});
        j->next_number_ = std::max(j->next_number_, number + 1);
    }
    if (auto r = j->start_segment(); !r) {
        return unexpected(r.error());
    }
    return j;
}

ArchiveJournal::~ArchiveJournal()
{
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

Result<void, StorageError> ArchiveJournal::start_segment()
{
    char name[32];
    std::snprintf(name, sizeof(name), "%016llu.log",
                  static_cast<unsigned long long>(next_number_++));
    const auto path = dir_ + "/" + name;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return unexpected(io_error("cannot create " + path));
    }
    if (fd_ >= 0) {
        ::close(fd_);
        closed_.push_back(std::move(current_));
    }
    fd_ = fd;
    size_ = 0;
    current_ = {path, 0};
    return {};
}

void ArchiveJournal::replay(const std::function<void(const ArchiveEntry&)>& fn) const
{
    for (const auto& seg : closed_) {
        std::ifstream in(seg.path, std::ios::binary);
        const std::string data((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
        std::string_view rest = data;
        while (rest.size() >= header_bytes) {
            std::uint32_t magic = 0, length = 0;
            std::uint64_t sum = 0;
            std::string_view header = rest.substr(0, header_bytes);
            get(header, magic);
            get(header, length);
            get(header, sum);
            if ((magic != frame_magic && magic != fnv_frame_magic) ||
                rest.size() - header_bytes < length) {
                break;  // the write a crash cut short
            }
            const auto payload = rest.substr(header_bytes, length);
            const auto expected = magic == frame_magic ? checksum(payload) : fnv_checksum(payload);
            if (expected != sum || !decode(payload, fn)) {
                break;
            }
            rest.remove_prefix(header_bytes + length);
        }
    }
}

Result<void, StorageError> ArchiveJournal::append(const ArchiveBatch& batch)
{
    frame_.assign(header_bytes, '\0');
    std::size_t last_body = static_cast<std::size_t>(-1);
    std::int64_t last_id = 0;
    for (const auto& item : batch.items()) {
        const auto owner = batch.text(item.owner), with = batch.text(item.with);
        const auto stanza = batch.text(batch.bodies()[item.body].stanza);
        const bool same = item.body == last_body;
        put(frame_, item.id);
        put(frame_, item.stamp_us);
        put(frame_, static_cast<std::uint8_t>((item.outgoing ? outgoing_flag : 0) |
                                              (same ? same_body_flag : 0)));
        put(frame_, static_cast<std::uint16_t>(owner.size()));
        put(frame_, static_cast<std::uint16_t>(with.size()));
        put(frame_, static_cast<std::uint32_t>(stanza.size()));
        frame_.append(owner).append(with);
        if (!same) {
            frame_.append(stanza);
        }
        last_body = item.body;
        last_id = std::max(last_id, item.id);
    }
    const auto payload = std::string_view(frame_).substr(header_bytes);
    const std::uint32_t length = static_cast<std::uint32_t>(payload.size());
    const std::uint64_t sum = checksum(payload);
    std::memcpy(frame_.data(), &frame_magic, 4);
    std::memcpy(frame_.data() + 4, &length, 4);
    std::memcpy(frame_.data() + 8, &sum, 8);
    std::size_t written = 0;
    while (written < frame_.size()) {
        const auto n = ::write(fd_, frame_.data() + written, frame_.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            auto error = io_error("writing " + current_.path);
            // A part of the frame would be replayed as a torn tail, and the next frame
            // after it would never be read: cut it off.
            if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0 ||
                ::lseek(fd_, static_cast<off_t>(size_), SEEK_SET) < 0) {
                (void)start_segment();
            }
            return unexpected(std::move(error));
        }
        written += static_cast<std::size_t>(n);
    }
    if (sync_ && ::fdatasync(fd_) != 0) {
        auto error = io_error("syncing " + current_.path);
        (void)::ftruncate(fd_, static_cast<off_t>(size_));
        (void)::lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
        return unexpected(std::move(error));
    }
    size_ += frame_.size();
    current_.last_id = std::max(current_.last_id, last_id);
    if (frame_.capacity() > segment_bytes / 16) {
        std::string().swap(frame_);  // a burst must not pin its peak
    }
    if (size_ >= segment_bytes) {
        (void)start_segment();  // on failure the current one keeps growing
    }
    return {};
}

void ArchiveJournal::release_through(std::int64_t id)
{
    while (!closed_.empty() && closed_.front().last_id <= id) {
        std::error_code ec;
        std::filesystem::remove(closed_.front().path, ec);
        closed_.erase(closed_.begin());
    }
    if (closed_.empty() && size_ > 0 && current_.last_id <= id && size_ >= segment_bytes / 4) {
        (void)start_segment();  // everything is in SQLite: start afresh, drop this one next
    }
}

}  // namespace chorus::storage::sqlite
