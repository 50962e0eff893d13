// XEP-0012 Last Activity.
#pragma once
#include "modules/module.h"
namespace chorus::modules::last {
ModuleSpec spec();
}
