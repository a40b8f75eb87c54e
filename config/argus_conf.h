// Converts an argus.conf file (the real Argus sensor's configuration) into the
// equivalent Argos YAML configuration, so operators can bring their settings
// over. Pure text in, text out: no file access, no exceptions. Syntax and
// option meanings follow docs argus-config.md sections 1 and 2.
#pragma once

#include <string>
#include <vector>

namespace argos {

struct ArgusConfResult {
  // The YAML document: a header comment naming the source file, then only the
  // keys the file sets, each preceded by a comment naming its argus option.
  std::string yaml;
  // "FILE:LINE: ARGUS_X: why", one per option that has no Argos equivalent,
  // was changed in translation or was overridden; sorted by line.
  std::vector<std::string> notes;
};

// `file_name` is used only in messages and the header comment. On a line that
// is not NAME=value, a comment or blank, or on a value of the wrong form,
// returns false with `err` = "FILE:LINE: message" and leaves `out` untouched.
// Unknown option names are notes, not errors, as argus itself ignores them.
bool argus_conf_to_yaml(const std::string& text, const std::string& file_name, ArgusConfResult& out,
                        std::string& err);

}  // namespace argos
