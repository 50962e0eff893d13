// The one list of modules, in load order (Envoy's one list; no static registration).
#include "modules/all_modules.h"

#include "modules/blocking/blocking.h"
#include "modules/carbons/carbons.h"
#include "modules/contact/contact.h"
#include "modules/csi/csi.h"
#include "modules/disco/disco.h"
#include "modules/extdisco/extdisco.h"
#include "modules/imng/imng.h"
#include "modules/last/last.h"
#include "modules/mam/mam.h"
#include "modules/muc/muc.h"
#include "modules/offline/offline.h"
#include "modules/pep/pep.h"
#include "modules/ping/ping.h"
#include "modules/presence/presence.h"
#include "modules/pubsub/pubsub_service.h"
#include "modules/register/register.h"
#include "modules/roster/roster.h"
#include "modules/session/session.h"
#include "modules/upload/upload.h"
#include "modules/vcard/vcard.h"
#include "modules/version/version.h"

namespace chorus::modules {

std::vector<ModuleSpec> all_modules()
{
    return {
        disco::spec(),    ping::spec(),     session::spec(), register_::spec(), version::spec(),
        mam::spec(),      carbons::spec(),  imng::spec(),    roster::spec(),    presence::spec(),
        blocking::spec(), offline::spec(),  vcard::spec(),   last::spec(),      csi::spec(),
        upload::spec(),  // issue 16
        contact::spec(),  extdisco::spec(), pep::spec(),     pubsub::spec(),    muc::spec(),
    };
}

}  // namespace chorus::modules
