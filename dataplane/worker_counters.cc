#include "dataplane/worker_counters.h"

namespace argos {

namespace {
const char* const kNames[] = {
#define ARGOS_X(e, name, desc) name,
    ARGOS_WORKER_COUNTERS(ARGOS_X)
#undef ARGOS_X
};
}  // namespace

const char* worker_counter_name(WorkerCounter c) { return kNames[static_cast<unsigned>(c)]; }

}  // namespace argos
