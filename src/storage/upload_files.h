// UploadFiles: XEP-0363 uploads on disk (<data_dir>/upload/<id>/{data,meta}), with an
// in-memory index for quotas and expiry. The same for every storage backend: files are
// files. Writes go to a temporary name and are renamed, so a crash leaves no half file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

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
    /// Creates the directory and reads every file's metadata; the error says what failed.
    Result<void, std::string> open();
    /// Bytes the owner's stored files take.
    std::uint64_t used_by(std::string_view owner) const;
    const StoredFile* find(std::string_view id) const;
    /// Stores a new file (error if the id exists or the disk refuses).
    Result<void, std::string> store(const StoredFile& meta, std::string_view data);
    /// length bytes from offset (clamped); nullopt when the file cannot be read.
    std::optional<std::string> read(const StoredFile& file, std::uint64_t offset,
                                    std::uint64_t length) const;
    /// Deletes the files created before cutoff (unix seconds); returns how many.
    std::size_t expire(std::int64_t cutoff);
    std::size_t size() const noexcept { return files_.size(); }

private:
    void forget(const StoredFile& f);
    std::filesystem::path dir_;
    std::map<std::string, StoredFile, std::less<>> files_;
    std::map<std::string, std::uint64_t, std::less<>> used_;
};

}  // namespace chorus::storage
