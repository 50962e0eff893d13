// XEP-0363 HTTP File Upload on upload.<domain>: slots over XMPP, PUT and GET on the HTTP
// listener.
#pragma once

#include "modules/module.h"

namespace chorus::modules::upload {

ModuleSpec spec();

}  // namespace chorus::modules::upload
