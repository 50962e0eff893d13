// Storage: the node's stores behind their interfaces, built once from the config by a backend
// (`[storage] backend`: sqlite today; postgres in the cluster round). DESIGN.md "src/storage/".
#pragma once

#include <memory>
#include <string>

#include "base/config.h"
#include "base/result.h"
#include "storage/accounts.h"
#include "storage/archive.h"
#include "storage/blocklist.h"
#include "storage/imng_devices.h"
#include "storage/last_activity.h"
#include "storage/offline.h"
#include "storage/pubsub.h"
#include "storage/rooms.h"
#include "storage/roster.h"
#include "storage/vcards.h"

namespace chorus::storage {

/// One instance of each store, shared by every module that uses it and alive as long as the
/// Storage. Accessors are for attach time: a module keeps the reference, so the data path
/// pays no lookup. Used from the I/O thread only (the archive's writer thread is its own).
/// A new store adds its interface beside this file, an accessor here, and each backend's class.
class Storage {
public:
    virtual ~Storage() = default;
    virtual Accounts& accounts() = 0;
    virtual Roster& roster() = 0;
    /// Its batching writer starts on the first call, in the process that archives.
    virtual Archive& archive() = 0;
    virtual Offline& offline() = 0;
    virtual Blocklist& blocklist() = 0;
    virtual Vcards& vcards() = 0;
    virtual LastActivityStore& last_activity() = 0;
    virtual ImngDevices& imng_devices() = 0;
    virtual PubSub& pubsub() = 0;
    virtual PrivateXml& private_xml() = 0;
    virtual Rooms& rooms() = 0;
};

/// Opens the backend config.storage_backend names, with config.storage_durability applied;
/// the error says what failed, for a startup message.
Result<std::unique_ptr<Storage>, std::string> open_storage(const Config& config);

}  // namespace chorus::storage
