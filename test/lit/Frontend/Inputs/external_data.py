"""Writes one small MLP twice, with its weights inline and as external data
(onnx.save_model(..., save_as_external_data=True)), an input for it, and
hostile variants of the external-data model, for onnx-external-data.test.

    external_data.py OUT_DIR

OUT_DIR/inline/model.onnx, OUT_DIR/external/{model.onnx,weights.bin},
OUT_DIR/x.npy, and OUT_DIR/hostile/<case>/model.onnx (each next to its own
copy of weights.bin unless the case is about the file).
"""
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(3)
w1 = rng.standard_normal((64, 96)).astype(np.float32)
b1 = rng.standard_normal((96,)).astype(np.float32)
w2 = rng.standard_normal((96, 32)).astype(np.float32)

graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
     helper.make_node("Add", ["h", "b1"], ["hb"], name="bias1"),
     helper.make_node("Relu", ["hb"], ["r"], name="relu1"),
     helper.make_node("MatMul", ["r", "w2"], ["y"], name="fc2")],
    "mlp",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8, 64])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [8, 32])],
    [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
     numpy_helper.from_array(w2, "w2")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)

os.makedirs(f"{out}/inline", exist_ok=True)
onnx.save_model(model, f"{out}/inline/model.onnx")
os.makedirs(f"{out}/external", exist_ok=True)
onnx.save_model(model, f"{out}/external/model.onnx", save_as_external_data=True,
                all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
np.save(f"{out}/x.npy", rng.standard_normal((8, 64)).astype(np.float32))

external = onnx.load(f"{out}/external/model.onnx", load_external_data=False)
assert all(t.data_location == TensorProto.EXTERNAL for t in external.graph.initializer)
weights = f"{out}/external/weights.bin"


def hostile(case, edit, copy_weights=True):
    """A copy of the external-data model with w2's external_data edited."""
    d = f"{out}/hostile/{case}"
    os.makedirs(d, exist_ok=True)
    m = onnx.ModelProto()
    m.CopyFrom(external)
    w = next(t for t in m.graph.initializer if t.name == "w2")
    entries = {e.key: e.value for e in w.external_data}
    edit(entries, d)
    del w.external_data[:]
    for k, v in entries.items():
        w.external_data.add(key=k, value=v)
    if copy_weights:
        shutil.copy(weights, f"{d}/weights.bin")
    with open(f"{d}/model.onnx", "wb") as f:
        f.write(m.SerializeToString())


def set_(key, value):
    return lambda e, d: e.__setitem__(key, value)


# A secret outside every model directory, for the escapes to aim at.
with open(f"{out}/secret.bin", "wb") as f:
    f.write(bytes(96 * 32 * 4))
hostile("absolute", set_("location", os.path.abspath(f"{out}/secret.bin")))
hostile("dotdot", set_("location", "../../secret.bin"))
hostile("symlink", lambda e, d: (os.symlink(os.path.abspath(f"{out}/secret.bin"), f"{d}/link.bin"),
                                 e.__setitem__("location", "link.bin")))
hostile("missing", set_("location", "nowhere.bin"))
hostile("offset-past-end", set_("offset", str(os.path.getsize(weights) + 4)))
hostile("length-mismatch", set_("length", "12"))
hostile("truncated", lambda e, d: None, copy_weights=False)
with open(weights, "rb") as f:
    data = f.read()
with open(f"{out}/hostile/truncated/weights.bin", "wb") as f:
    f.write(data[:len(data) - 100])
hostile("bad-offset", set_("offset", "-8"))
hostile("directory", lambda e, d: (os.makedirs(f"{d}/sub", exist_ok=True),
                                   e.__setitem__("location", "sub")))
