// Counter tables are declared once, as X-macro lists of
// (enumerator, dotted name, description); these expand one list into the
// enum, the name table and the description table.
#pragma once

#define ARGOS_COUNTER_ENUMERATOR(e, name, desc) e,
#define ARGOS_COUNTER_NAME(e, name, desc) name,
#define ARGOS_COUNTER_DESCRIPTION(e, name, desc) desc,
