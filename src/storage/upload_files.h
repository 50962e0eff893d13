// UploadFiles: XEP-0363 uploads on disk (<dir>/<id>/{data,meta}) and an in-memory index of
// them for quotas and expiry. The same for every storage backend: files are files.
// The index lives on the I/O thread; the disk steps (the static functions) block and run on
// a worker. A body goes to data.tmp and is renamed when complete, so a crash leaves no half
// file anyone was given.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/owned_fd.h"
#include "base/result.h"

namespace chorus::storage {

struct StoredFile {
    std::string id;    // hex, the directory
    std::string name;  // sanitized file name
    std::string owner;
    std::string content_type;
    std::uint64_t size = 0;
    std::int64_t created = 0;  // unix seconds
};

class UploadFiles {
public:
    explicit UploadFiles(std::filesystem::path dir) : dir_(std::move(dir)) {}
    const std::filesystem::path& dir() const noexcept { return dir_; }
    /// Creates the directory and reads every file's metadata (at startup); the error says
    /// what failed.
    Result<void, std::string> open();

    // The index.
    std::uint64_t used_by(std::string_view owner) const;
    const StoredFile* find(std::string_view id) const;
    /// Marks id as being written; false when it is stored or being written already.
    bool reserve(std::string_view id);
    void unreserve(std::string_view id);
    /// A committed file (unreserves it).
    void add(const StoredFile& file);
    /// Forgets the files created before cutoff (unix seconds); the caller removes their ids.
    std::vector<std::string> take_expired(std::int64_t cutoff);
    std::size_t size() const noexcept { return files_.size(); }

    // Disk steps: blocking, for the worker thread.
    /// Creates <dir>/<id>/data.tmp for writing.
    static Result<OwnedFd, std::string> create(const std::filesystem::path& dir,
                                               std::string_view id);
    static Result<void, std::string> append(int fd, std::string_view bytes);
    /// Makes a fully written data.tmp durable and visible under its final name, with meta.
    static Result<void, std::string> commit(const std::filesystem::path& dir,
                                            const StoredFile& file, OwnedFd data);
    static Result<OwnedFd, std::string> open_data(const std::filesystem::path& dir,
                                                  std::string_view id);
    static void remove(const std::filesystem::path& dir, std::string_view id);

private:
    void forget(const StoredFile& f);
    std::filesystem::path dir_;
    std::map<std::string, StoredFile, std::less<>> files_;
    std::map<std::string, std::uint64_t, std::less<>> used_;
    std::set<std::string, std::less<>> writing_;
};

}  // namespace chorus::storage
