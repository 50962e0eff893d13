// XEP-0352 Client State Indication: the stream feature (the stream holds and flushes).
#pragma once
#include "modules/module.h"
namespace chorus::modules::csi {
ModuleSpec spec();
}
