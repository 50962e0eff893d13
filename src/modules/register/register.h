// XEP-0077 In-Band Registration: sign-up before authentication (off by default), password
// change and account removal after it.
#pragma once
#include "modules/module.h"
namespace chorus::modules::register_ {
ModuleSpec spec();
}
