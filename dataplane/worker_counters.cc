#include "dataplane/worker_counters.h"

namespace argos {

namespace {
const char* const kNames[] = {
    ARGOS_WORKER_COUNTERS(ARGOS_COUNTER_NAME)
};
}  // namespace

const char* worker_counter_name(WorkerCounter c) { return kNames[static_cast<unsigned>(c)]; }

}  // namespace argos
