// The one list of modules, in load order (Envoy's one list; no static registration).
#include "modules/all_modules.h"

#include "modules/disco/disco.h"
#include "modules/ping/ping.h"
#include "modules/session/session.h"
#include "modules/version/version.h"

namespace chorus::modules {

std::vector<ModuleSpec> all_modules()
{
    return {
        disco::spec(),
        ping::spec(),
        session::spec(),
        version::spec(),
    };
}

}  // namespace chorus::modules
