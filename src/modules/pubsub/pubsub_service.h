// XEP-0060 generic publish-subscribe service on pubsub.<domain>.
#pragma once
#include "modules/module.h"
namespace chorus::modules::pubsub {
ModuleSpec spec();
}
