# -*- Python -*-
# Runs every GoogleTest binary Kiln builds (build/bin/*Tests) under lit.
import os

import lit.formats

config.name = "Kiln-Unit"
config.suffixes = []
config.test_source_root = config.kiln_tools_dir
config.test_exec_root = config.kiln_tools_dir
config.test_format = lit.formats.GoogleTest(".", "Tests")

# The sanitizer build's options (scripts/sanitize.sh) reach the binaries.
for _name in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
    if _name in os.environ:
        config.environment[_name] = os.environ[_name]
