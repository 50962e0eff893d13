// open_storage: the backend `[storage] backend` names.
#include "storage/storage.h"

#include "storage/sqlite/sqlite_storage.h"

namespace chorus::storage {

Result<std::unique_ptr<Storage>, std::string> open_storage(const Config& config)
{
    if (config.storage_backend == "sqlite") {
        return sqlite::open_sqlite_storage(config);
    }
    // validate_config admits only the backends above; a caller that skipped it learns here.
    return unexpected("storage.backend: no backend named '" + config.storage_backend + "'");
}

}  // namespace chorus::storage
