# lit configuration of the Trellis regression tests.
import os
import lit.formats

config.name = "Trellis"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.trellis_obj_root, "test", "lit")

# Trellis tools first, then FileCheck / not / split-file from LLVM.
path = os.pathsep.join([config.trellis_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ.get("PATH", ""))])
config.environment["PATH"] = path
config.environment["TRELLIS_TARGETS_DIR"] = os.path.join(config.trellis_src_root, "targets")
config.substitutions.append(("%trellis_src", config.trellis_src_root))
config.substitutions.append(("%onnx_node", "/usr/share/libonnx-testdata/data/node"))
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")
# Debian's python3 with python3-onnx and numpy, for tests that generate models.
import subprocess
if subprocess.call(["/usr/bin/python3", "-c", "import onnx, numpy"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("python3-onnx")
