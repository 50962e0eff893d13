// XEP-0313 Message Archive Management over the account archive, with XEP-0359 stanza-ids.
#pragma once
#include "modules/module.h"
namespace chorus::modules::mam {
ModuleSpec spec();
}
