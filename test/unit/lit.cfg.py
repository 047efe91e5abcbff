# -*- Python -*-
# Runs every GoogleTest binary Kiln builds (build/bin/*Tests) under lit.
import os

import lit.formats

config.name = "Kiln-Unit"
config.suffixes = []
config.test_source_root = config.kiln_tools_dir
config.test_exec_root = config.kiln_tools_dir
config.test_format = lit.formats.GoogleTest(".", "Tests")
