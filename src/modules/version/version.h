// XEP-0092 Software Version.
#pragma once
#include "modules/module.h"
namespace chorus::modules::version {
ModuleSpec spec();
}
