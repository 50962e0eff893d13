// XEP-0054 vcard-temp.
#pragma once
#include "modules/module.h"
namespace chorus::modules::vcard {
ModuleSpec spec();
}
