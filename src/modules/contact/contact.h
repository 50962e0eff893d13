// XEP-0157 Contact Addresses for XMPP Services, from [contact] in the config.
#pragma once

#include "modules/module.h"

namespace chorus::modules::contact {

ModuleSpec spec();

}  // namespace chorus::modules::contact
