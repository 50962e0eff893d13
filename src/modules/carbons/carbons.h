// XEP-0280 Message Carbons (enable/disable per session; the copies are made by the router).
#pragma once
#include "modules/module.h"
namespace chorus::modules::carbons {
ModuleSpec spec();
}
