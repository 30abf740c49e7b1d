//===- OnnxImporterTest.cpp - Unit tests of the ONNX importer -------------===//
//
// Imports the ONNX backend-test models shipped by libonnx-testdata, and
// hand-built ModelProtos for the error paths.
//
//===----------------------------------------------------------------------===//

#include "trellis/Dialect/Graph.h"
#include "trellis/Frontend/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

using namespace mlir;
using namespace trellis;

namespace {

constexpr const char *kTestdataDir = "/usr/share/libonnx-testdata/data/node";

struct Captured {
  std::string message;
  Location loc;
};

class OnnxImporterTest : public ::testing::Test {
protected:
  OnnxImporterTest()
      : handler(&ctx, [this](Diagnostic &diag) {
          diags.push_back({diag.str(), diag.getLocation()});
          return success();
        }) {}

  OwningOpRef<ModuleOp> importModel(const onnx::ModelProto &model,
                                    StringRef origin = "test.onnx",
                                    const OnnxImportOptions &opts = {}) {
    std::string bytes;
    EXPECT_TRUE(model.SerializeToString(&bytes));
    return importOnnxModelFromBytes(bytes, origin, ctx, opts);
  }

  /// The only diagnostic, or a failed expectation.
  std::string onlyDiag() {
    EXPECT_EQ(diags.size(), 1u) << allDiags();
    return diags.empty() ? "" : diags.front().message;
  }
  std::string allDiags() {
    std::string all;
    for (const Captured &c : diags)
      all += c.message + "\n";
    return all;
  }

  MLIRContext ctx;
  std::vector<Captured> diags;
  ScopedDiagnosticHandler handler;
};

//===----------------------------------------------------------------------===//
// Building models
//===----------------------------------------------------------------------===//

onnx::ModelProto makeModel(int64_t opset = 13) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  onnx::OperatorSetIdProto *entry = model.add_opset_import();
  entry->set_domain("");
  entry->set_version(opset);
  model.mutable_graph()->set_name("g");
  return model;
}

/// dims: a negative entry is a dim_param named "N".
void setType(onnx::ValueInfoProto *info, StringRef name, std::vector<int64_t> dims,
             int32_t elemType = onnx::TensorProto::FLOAT) {
  info->set_name(name.str());
  onnx::TypeProto::Tensor *tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(elemType);
  onnx::TensorShapeProto *shape = tensor->mutable_shape();
  for (int64_t d : dims) {
    if (d < 0)
      shape->add_dim()->set_dim_param("N");
    else
      shape->add_dim()->set_dim_value(d);
  }
}

void addInput(onnx::ModelProto &model, StringRef name, std::vector<int64_t> dims,
              int32_t elemType = onnx::TensorProto::FLOAT) {
  setType(model.mutable_graph()->add_input(), name, std::move(dims), elemType);
}

void addOutput(onnx::ModelProto &model, StringRef name, std::vector<int64_t> dims,
               int32_t elemType = onnx::TensorProto::FLOAT) {
  setType(model.mutable_graph()->add_output(), name, std::move(dims), elemType);
}

onnx::NodeProto *addNode(onnx::ModelProto &model, StringRef opType,
                         std::vector<std::string> inputs, std::vector<std::string> outputs,
                         StringRef name = "") {
  onnx::NodeProto *node = model.mutable_graph()->add_node();
  node->set_op_type(opType.str());
  node->set_name(name.str());
  for (std::string &in : inputs)
    node->add_input(in);
  for (std::string &out : outputs)
    node->add_output(out);
  return node;
}

onnx::TensorProto *addInitializer(onnx::ModelProto &model, StringRef name,
                                  std::vector<int64_t> dims, const std::vector<float> &values,
                                  bool raw = true) {
  onnx::TensorProto *t = model.mutable_graph()->add_initializer();
  t->set_name(name.str());
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    t->add_dims(d);
  if (raw)
    t->set_raw_data(std::string(reinterpret_cast<const char *>(values.data()),
                                values.size() * sizeof(float)));
  else
    for (float v : values)
      t->add_float_data(v);
  return t;
}

func::FuncOp getMain(ModuleOp module) { return module.lookupSymbol<func::FuncOp>("main"); }

std::vector<int64_t> shapeOf(Type type) {
  auto ranked = cast<RankedTensorType>(type);
  return std::vector<int64_t>(ranked.getShape().begin(), ranked.getShape().end());
}

std::string argName(func::FuncOp f, unsigned i) {
  auto name = f.getArgAttrOfType<StringAttr>(i, "trellis.name");
  return name ? name.str() : "<none>";
}

std::string resultName(func::FuncOp f, unsigned i) {
  auto name = f.getResultAttrOfType<StringAttr>(i, "trellis.name");
  return name ? name.str() : "<none>";
}

std::map<std::string, int> countOps(func::FuncOp f) {
  std::map<std::string, int> counts;
  f.walk([&](Operation *op) {
    if (!isa<func::FuncOp>(op))
      ++counts[op->getName().getStringRef().str()];
  });
  return counts;
}

//===----------------------------------------------------------------------===//
// libonnx-testdata models
//===----------------------------------------------------------------------===//

using Shapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

struct TestdataCase {
  const char *model;
  Shapes inputs;
  Shapes outputs;
  std::map<std::string, int> ops; // Besides func.return.
  // For Gemm models: graph.linear's attributes and whether it has a bias.
  float alpha = 1.0f, beta = 1.0f;
  bool bias = false;
};

void PrintTo(const TestdataCase &c, std::ostream *os) { *os << c.model; }

class OnnxTestdataTest : public OnnxImporterTest,
                         public ::testing::WithParamInterface<TestdataCase> {};

TEST_P(OnnxTestdataTest, ImportsAndVerifies) {
  const TestdataCase &c = GetParam();
  std::string path = std::string(kTestdataDir) + "/" + c.model + "/model.onnx";
  if (!llvm::sys::fs::exists(path))
    GTEST_SKIP() << path << " is absent (install libonnx-testdata)";

  OwningOpRef<ModuleOp> module = importOnnxModel(path, ctx);
  ASSERT_TRUE(module) << allDiags();
  EXPECT_TRUE(diags.empty()) << allDiags();
  EXPECT_TRUE(succeeded(verify(*module)));
  func::FuncOp f = getMain(*module);
  ASSERT_TRUE(f);

  ASSERT_EQ(f.getNumArguments(), c.inputs.size());
  for (auto [i, input] : llvm::enumerate(c.inputs)) {
    EXPECT_EQ(argName(f, i), input.first);
    EXPECT_EQ(shapeOf(f.getArgumentTypes()[i]), input.second) << input.first;
    EXPECT_TRUE(cast<RankedTensorType>(f.getArgumentTypes()[i]).getElementType().isF32());
  }
  ASSERT_EQ(f.getNumResults(), c.outputs.size());
  for (auto [i, output] : llvm::enumerate(c.outputs)) {
    EXPECT_EQ(resultName(f, i), output.first);
    EXPECT_EQ(shapeOf(f.getResultTypes()[i]), output.second) << output.first;
  }

  std::map<std::string, int> expected = c.ops;
  expected["func.return"] = 1;
  EXPECT_EQ(countOps(f), expected);

  f.walk([&](graph::LinearOp linear) {
    EXPECT_FLOAT_EQ(linear.getAlpha().convertToFloat(), c.alpha);
    EXPECT_FLOAT_EQ(linear.getBeta().convertToFloat(), c.beta);
    EXPECT_EQ(bool(linear.getBias()), c.bias);
    EXPECT_EQ(linear.getActivation(), graph::Activation::none);
  });

  // Every graph op is located at its (unnamed) node: "<op_type>#0" in the file.
  f.walk([&](Operation *op) {
    if (!isa<graph::GraphDialect>(op->getDialect()))
      return;
    auto loc = dyn_cast<NameLoc>(op->getLoc());
    ASSERT_TRUE(loc) << "op without a NameLoc";
    EXPECT_TRUE(StringRef(loc.getName().str()).ends_with("#0")) << loc.getName().str();
    auto file = dyn_cast<FileLineColLoc>(loc.getChildLoc());
    ASSERT_TRUE(file);
    EXPECT_EQ(file.getFilename().str(), path);
  });
}

const TestdataCase kTestdataCases[] = {
    {"test_matmul_2d", {{"a", {3, 4}}, {"b", {4, 3}}}, {{"c", {3, 3}}}, {{"graph.matmul", 1}}},
    {"test_matmul_3d",
     {{"a", {2, 3, 4}}, {"b", {2, 4, 3}}},
     {{"c", {2, 3, 3}}},
     {{"graph.matmul", 1}}},
    {"test_matmul_4d",
     {{"a", {1, 2, 3, 4}}, {"b", {1, 2, 4, 3}}},
     {{"c", {1, 2, 3, 3}}},
     {{"graph.matmul", 1}}},
    {"test_gemm_all_attributes",
     {{"a", {4, 3}}, {"b", {5, 4}}, {"c", {1, 5}}},
     {{"y", {3, 5}}},
     {{"graph.linear", 1}, {"graph.transpose", 2}},
     0.25f,
     0.35f,
     true},
    {"test_gemm_alpha",
     {{"a", {3, 5}}, {"b", {5, 4}}, {"c", {1, 4}}},
     {{"y", {3, 4}}},
     {{"graph.linear", 1}},
     0.5f,
     1.0f,
     true},
    {"test_gemm_beta",
     {{"a", {2, 7}}, {"b", {7, 4}}, {"c", {1, 4}}},
     {{"y", {2, 4}}},
     {{"graph.linear", 1}},
     1.0f,
     0.5f,
     true},
    {"test_gemm_default_matrix_bias",
     {{"a", {3, 6}}, {"b", {6, 4}}, {"c", {3, 4}}},
     {{"y", {3, 4}}},
     {{"graph.linear", 1}},
     1.0f,
     1.0f,
     true},
    {"test_gemm_default_no_bias",
     {{"a", {2, 10}}, {"b", {10, 3}}},
     {{"y", {2, 3}}},
     {{"graph.linear", 1}},
     1.0f,
     1.0f,
     false},
    {"test_gemm_default_scalar_bias",
     {{"a", {2, 3}}, {"b", {3, 4}}, {"c", {}}},
     {{"y", {2, 4}}},
     {{"graph.linear", 1}},
     1.0f,
     1.0f,
     true},
    {"test_gemm_default_single_elem_vector_bias",
     {{"a", {3, 7}}, {"b", {7, 3}}, {"c", {1}}},
     {{"y", {3, 3}}},
     {{"graph.linear", 1}},
     1.0f,
     1.0f,
     true},
    {"test_gemm_default_vector_bias",
     {{"a", {2, 7}}, {"b", {7, 4}}, {"c", {1, 4}}},
     {{"y", {2, 4}}},
     {{"graph.linear", 1}},
     1.0f,
     1.0f,
     true},
    {"test_gemm_default_zero_bias",
     {{"a", {3, 5}}, {"b", {5, 4}}, {"c", {1, 4}}},
     {{"y", {3, 4}}},
     {{"graph.linear", 1}},
     1.0f,
     1.0f,
     true},
    {"test_gemm_transposeA",
     {{"a", {6, 3}}, {"b", {6, 4}}, {"c", {1, 4}}},
     {{"y", {3, 4}}},
     {{"graph.linear", 1}, {"graph.transpose", 1}},
     1.0f,
     1.0f,
     true},
    {"test_gemm_transposeB",
     {{"a", {3, 6}}, {"b", {4, 6}}, {"c", {1, 4}}},
     {{"y", {3, 4}}},
     {{"graph.linear", 1}, {"graph.transpose", 1}},
     1.0f,
     1.0f,
     true},
    {"test_add_bcast",
     {{"x", {3, 4, 5}}, {"y", {5}}},
     {{"sum", {3, 4, 5}}},
     {{"graph.add", 1}}},
    {"test_relu", {{"x", {3, 4, 5}}}, {{"y", {3, 4, 5}}}, {{"graph.relu", 1}}},
};

INSTANTIATE_TEST_SUITE_P(Testdata, OnnxTestdataTest, ::testing::ValuesIn(kTestdataCases),
                         [](const ::testing::TestParamInfo<TestdataCase> &info) {
                           return std::string(info.param.model);
                         });

TEST_F(OnnxImporterTest, TestdataUnsupportedOperator) {
  std::string path = std::string(kTestdataDir) + "/test_hardmax_axis_0/model.onnx";
  if (!llvm::sys::fs::exists(path))
    GTEST_SKIP() << path << " is absent (install libonnx-testdata)";
  EXPECT_FALSE(importOnnxModel(path, ctx));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("Hardmax"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unsupported operator"), std::string::npos) << msg;
  auto loc = dyn_cast<NameLoc>(diags.front().loc);
  ASSERT_TRUE(loc);
  EXPECT_EQ(loc.getName().str(), "Hardmax#0");
}

//===----------------------------------------------------------------------===//
// Model-level errors
//===----------------------------------------------------------------------===//

TEST_F(OnnxImporterTest, MalformedBytes) {
  // 0xff... is a field with the invalid wire type 7.
  EXPECT_FALSE(importOnnxModelFromBytes("\xff\xff\xff\xff garbage", "junk.onnx", ctx));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("junk.onnx"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a valid ONNX model"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line expected: " << msg;
}

TEST_F(OnnxImporterTest, EmptyBytes) {
  EXPECT_FALSE(importOnnxModelFromBytes("", "empty.onnx", ctx));
  EXPECT_NE(onlyDiag().find("'empty.onnx' is empty"), std::string::npos);
}

TEST_F(OnnxImporterTest, TruncatedModel) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2});
  addOutput(model, "x", {2});
  std::string bytes;
  ASSERT_TRUE(model.SerializeToString(&bytes));
  EXPECT_FALSE(importOnnxModelFromBytes(bytes.substr(0, bytes.size() - 3), "cut.onnx", ctx));
  EXPECT_NE(onlyDiag().find("not a valid ONNX model"), std::string::npos);
}

TEST_F(OnnxImporterTest, MissingFile) {
  EXPECT_FALSE(importOnnxModel("/nonexistent/model.onnx", ctx));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("/nonexistent/model.onnx"), std::string::npos) << msg;
}

TEST_F(OnnxImporterTest, OpsetTooOld) {
  onnx::ModelProto model = makeModel(0);
  EXPECT_FALSE(importModel(model));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("opset 0"), std::string::npos) << msg;
}

TEST_F(OnnxImporterTest, OpsetTooNew) {
  onnx::ModelProto model = makeModel(23);
  EXPECT_FALSE(importModel(model));
  EXPECT_NE(onlyDiag().find("opset 23"), std::string::npos);
}

TEST_F(OnnxImporterTest, NoDefaultOpset) {
  onnx::ModelProto model = makeModel();
  model.mutable_opset_import(0)->set_domain("com.example");
  EXPECT_FALSE(importModel(model));
  EXPECT_NE(onlyDiag().find("no default-domain"), std::string::npos);
}

TEST_F(OnnxImporterTest, IrVersionTooOld) {
  onnx::ModelProto model = makeModel();
  model.set_ir_version(2);
  EXPECT_FALSE(importModel(model));
  EXPECT_NE(onlyDiag().find("IR version 2"), std::string::npos);
}

TEST_F(OnnxImporterTest, DynamicInputDim) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {-1, 4}); // dim_param "N"
  addNode(model, "Relu", {"x"}, {"y"});
  addOutput(model, "y", {-1, 4});
  EXPECT_FALSE(importModel(model));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("graph input 'x'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("dimension 0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'N'"), std::string::npos) << msg;
}

TEST_F(OnnxImporterTest, InputShapePinsDynamicDims) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {-1, 4}); // dim_param "N"
  addNode(model, "Relu", {"x"}, {"y"});
  addOutput(model, "y", {-1, 4});
  OnnxImportOptions opts;
  opts.inputShapes["x"] = {2, 4};
  OwningOpRef<ModuleOp> module = importModel(model, "test.onnx", opts);
  ASSERT_TRUE(module) << allDiags();
  FunctionType type = getMain(*module).getFunctionType();
  EXPECT_EQ(cast<RankedTensorType>(type.getInput(0)).getShape(), ArrayRef<int64_t>({2, 4}));
  EXPECT_EQ(cast<RankedTensorType>(type.getResult(0)).getShape(), ArrayRef<int64_t>({2, 4}));
}

TEST_F(OnnxImporterTest, InputShapeGivesShapelessInputAShape) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {});
  model.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  addNode(model, "Relu", {"x"}, {"y"});
  addOutput(model, "y", {});
  model.mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  OnnxImportOptions opts;
  opts.inputShapes["x"] = {3};
  OwningOpRef<ModuleOp> module = importModel(model, "test.onnx", opts);
  ASSERT_TRUE(module) << allDiags();
  EXPECT_EQ(cast<RankedTensorType>(getMain(*module).getFunctionType().getInput(0)).getShape(),
            ArrayRef<int64_t>({3}));
}

TEST_F(OnnxImporterTest, InputShapeNamingNoInputIsAnError) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {4});
  addNode(model, "Relu", {"x"}, {"y"});
  addOutput(model, "y", {4});
  OnnxImportOptions opts;
  opts.inputShapes["z"] = {4};
  EXPECT_FALSE(importModel(model, "test.onnx", opts));
  EXPECT_NE(onlyDiag().find("--input-shape names 'z', which is not a graph input"),
            std::string::npos);
}

TEST_F(OnnxImporterTest, InputWithoutShape) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {});
  model.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  addOutput(model, "x", {});
  EXPECT_FALSE(importModel(model));
  EXPECT_NE(onlyDiag().find("graph input 'x' has no shape"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Nodes
//===----------------------------------------------------------------------===//

TEST_F(OnnxImporterTest, ReportsEveryUnsupportedNodeOnce) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2, 2});
  addNode(model, "Hardmax", {"x"}, {"s"}, "soft");
  addNode(model, "FusedThing", {"s"}, {"t"}, "custom")->set_domain("com.example");
  addNode(model, "Relu", {"t"}, {"r"}, "relu");       // Reads a poisoned value: no error.
  addNode(model, "Cos", {"r"}, {"y"});                // Unnamed: "Cos#3".
  addOutput(model, "y", {2, 2});
  EXPECT_FALSE(importModel(model));
  ASSERT_EQ(diags.size(), 3u) << allDiags();
  EXPECT_EQ(diags[0].message, "node 'soft' (op type Hardmax): unsupported operator");
  EXPECT_EQ(diags[1].message,
            "node 'custom' (op type FusedThing): unsupported operator (domain 'com.example')");
  EXPECT_EQ(diags[2].message, "node 'Cos#3' (op type Cos): unsupported operator");
  EXPECT_EQ(cast<NameLoc>(diags[2].loc).getName().str(), "Cos#3");
}

TEST_F(OnnxImporterTest, DanglingInput) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2});
  addNode(model, "Add", {"x", "ghost"}, {"y"}, "adder");
  addOutput(model, "y", {2});
  EXPECT_FALSE(importModel(model));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("node 'adder' (op type Add)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'ghost'"), std::string::npos) << msg;
}

TEST_F(OnnxImporterTest, NotTopologicallySorted) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2});
  addNode(model, "Relu", {"t"}, {"y"}, "second");
  addNode(model, "Relu", {"x"}, {"t"}, "first");
  addOutput(model, "y", {2});
  EXPECT_FALSE(importModel(model));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("later node ('first')"), std::string::npos) << msg;
}

TEST_F(OnnxImporterTest, Redefinition) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2});
  addNode(model, "Relu", {"x"}, {"x"}, "clobber");
  addOutput(model, "x", {2});
  EXPECT_FALSE(importModel(model));
  EXPECT_NE(onlyDiag().find("'x' is already defined"), std::string::npos);
}

TEST_F(OnnxImporterTest, NonF32Operand) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2}, onnx::TensorProto::INT64);
  addNode(model, "Sigmoid", {"x"}, {"y"}, "s");
  addOutput(model, "y", {2}, onnx::TensorProto::INT64);
  EXPECT_FALSE(importModel(model));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("node 's' (op type Sigmoid)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("only f32"), std::string::npos) << msg;
}

TEST_F(OnnxImporterTest, IntegerOperandsOfIntegerOps) {
  // Relu is defined on integers and the engines store them; float64 has no
  // machine type.
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2}, onnx::TensorProto::INT64);
  addNode(model, "Relu", {"x"}, {"y"}, "r");
  addOutput(model, "y", {2}, onnx::TensorProto::INT64);
  EXPECT_TRUE(importModel(model)) << allDiags();

  onnx::ModelProto f64 = makeModel();
  addInput(f64, "x", {2}, onnx::TensorProto::DOUBLE);
  addNode(f64, "Relu", {"x"}, {"y"}, "r");
  addOutput(f64, "y", {2}, onnx::TensorProto::DOUBLE);
  EXPECT_FALSE(importModel(f64));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("node 'r' (op type Relu)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("supported element types: f32, bf16, f16, i8, i16, i32, i64, ui8, ui32"),
            std::string::npos)
      << msg;
}

TEST_F(OnnxImporterTest, MatMulRank1IsReported) {
  onnx::ModelProto model = makeModel();
  addInput(model, "a", {4});
  addInput(model, "b", {4, 3});
  addNode(model, "MatMul", {"a", "b"}, {"y"}, "mv");
  addOutput(model, "y", {3});
  EXPECT_FALSE(importModel(model));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("node 'mv' (op type MatMul)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rank < 2"), std::string::npos) << msg;
}

TEST_F(OnnxImporterTest, ShapeMismatchesAreErrorsNotCrashes) {
  onnx::ModelProto model = makeModel();
  addInput(model, "a", {2, 3});
  addInput(model, "b", {4, 5});
  addInput(model, "c", {7});
  addNode(model, "MatMul", {"a", "b"}, {"m"}, "mm");
  addNode(model, "Add", {"a", "b"}, {"s"}, "add");
  addNode(model, "Gemm", {"a", "b"}, {"g"}, "gemm");
  auto *gemm = addNode(model, "Gemm", {"a", "a", "c"}, {"h"}, "gemm_bias");
  onnx::AttributeProto *transB = gemm->add_attribute();
  transB->set_name("transB");
  transB->set_type(onnx::AttributeProto::INT);
  transB->set_i(1);
  addOutput(model, "m", {});
  EXPECT_FALSE(importModel(model));
  ASSERT_EQ(diags.size(), 4u) << allDiags();
  EXPECT_NE(diags[0].message.find("inner dimensions differ (3 vs 4)"), std::string::npos);
  EXPECT_NE(diags[1].message.find("do not broadcast"), std::string::npos);
  EXPECT_NE(diags[2].message.find("inner dimensions differ (3 vs 4)"), std::string::npos);
  EXPECT_NE(diags[3].message.find("C of shape [7] does not broadcast to [2, 2]"),
            std::string::npos)
      << diags[3].message;
}

TEST_F(OnnxImporterTest, BadAttributes) {
  onnx::ModelProto model = makeModel();
  addInput(model, "a", {2, 2});
  auto *g1 = addNode(model, "Gemm", {"a", "a"}, {"y1"}, "g1");
  onnx::AttributeProto *alpha = g1->add_attribute();
  alpha->set_name("alpha");
  alpha->set_type(onnx::AttributeProto::STRING);
  alpha->set_s("fast");
  auto *g2 = addNode(model, "Gemm", {"a", "a"}, {"y2"}, "g2");
  g2->add_attribute()->set_name("broadcast");
  auto *g3 = addNode(model, "Gemm", {"a", "a"}, {"y3"}, "g3");
  onnx::AttributeProto *transA = g3->add_attribute();
  transA->set_name("transA");
  transA->set_type(onnx::AttributeProto::INT);
  transA->set_i(7);
  addOutput(model, "y1", {2, 2});
  EXPECT_FALSE(importModel(model));
  ASSERT_EQ(diags.size(), 3u) << allDiags();
  EXPECT_NE(diags[0].message.find("'alpha' must be a float"), std::string::npos);
  EXPECT_NE(diags[1].message.find("unexpected attribute 'broadcast'"), std::string::npos);
  EXPECT_NE(diags[2].message.find("'transA' must be 0 or 1"), std::string::npos);
}

TEST_F(OnnxImporterTest, WrongArity) {
  onnx::ModelProto model = makeModel();
  addInput(model, "a", {2});
  addNode(model, "Add", {"a"}, {"y"}, "half_add");
  addOutput(model, "y", {2});
  EXPECT_FALSE(importModel(model));
  EXPECT_NE(onlyDiag().find("expected 2 inputs, got 1"), std::string::npos);
}

TEST_F(OnnxImporterTest, OutputDeclaredShapeMustAgree) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2, 3});
  addNode(model, "Relu", {"x"}, {"y"});
  addOutput(model, "y", {3, 2});
  EXPECT_FALSE(importModel(model));
  EXPECT_NE(onlyDiag().find("graph output 'y' is declared with shape [3, 2]"),
            std::string::npos);
}

TEST_F(OnnxImporterTest, DynamicOutputDimIsInferred) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2, 3});
  addNode(model, "Relu", {"x"}, {"y"});
  addOutput(model, "y", {-1, 3});
  OwningOpRef<ModuleOp> module = importModel(model);
  ASSERT_TRUE(module) << allDiags();
  EXPECT_EQ(shapeOf(getMain(*module).getResultTypes()[0]), (std::vector<int64_t>{2, 3}));
}

//===----------------------------------------------------------------------===//
// Successful imports of hand-built models
//===----------------------------------------------------------------------===//

TEST_F(OnnxImporterTest, LinearLayerWithInitializers) {
  // y = relu(x @ W^T + b), as torch exports nn.Linear + ReLU (Gemm transB=1).
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {1, 3});
  addInitializer(model, "W", {2, 3}, {1, 2, 3, 4, 5, 6});
  addInitializer(model, "b", {2}, {0.5f, -0.5f}, /*raw=*/false);
  // An initializer listed as an input stays a constant, not an argument.
  addInput(model, "W", {2, 3});
  auto *gemm = addNode(model, "Gemm", {"x", "W", "b"}, {"h"}, "fc");
  onnx::AttributeProto *transB = gemm->add_attribute();
  transB->set_name("transB");
  transB->set_type(onnx::AttributeProto::INT);
  transB->set_i(1);
  addNode(model, "Relu", {"h"}, {"y"}, "act");
  addOutput(model, "y", {1, 2});

  OwningOpRef<ModuleOp> module = importModel(model);
  ASSERT_TRUE(module) << allDiags();
  func::FuncOp f = getMain(*module);
  ASSERT_EQ(f.getNumArguments(), 1u);
  EXPECT_EQ(argName(f, 0), "x");
  EXPECT_EQ(resultName(f, 0), "y");
  EXPECT_EQ(countOps(f), (std::map<std::string, int>{{"graph.constant", 2},
                                                     {"graph.transpose", 1},
                                                     {"graph.linear", 1},
                                                     {"graph.relu", 1},
                                                     {"func.return", 1}}));
  std::vector<std::vector<float>> constants;
  f.walk([&](graph::ConstantOp c) {
    auto dense = cast<DenseElementsAttr>(c.getValue());
    constants.emplace_back(dense.getValues<float>().begin(), dense.getValues<float>().end());
    EXPECT_TRUE(isa<NameLoc>(c.getLoc()));
  });
  ASSERT_EQ(constants.size(), 2u);
  EXPECT_EQ(constants[0], (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(constants[1], (std::vector<float>{0.5f, -0.5f}));
  f.walk([&](graph::TransposeOp t) {
    EXPECT_EQ(t.getPerm(), ArrayRef<int64_t>({1, 0}));
    EXPECT_EQ(cast<NameLoc>(t.getLoc()).getName().str(), "fc");
  });
}

TEST_F(OnnxImporterTest, IdentityConstantAndOptionalInput) {
  onnx::ModelProto model = makeModel();
  addInput(model, "a", {2, 2});
  addInput(model, "b", {2, 2});
  addNode(model, "Identity", {"a"}, {"a2"});
  onnx::NodeProto *constant = addNode(model, "Constant", {}, {"k"}, "k");
  onnx::AttributeProto *value = constant->add_attribute();
  value->set_name("value_floats");
  value->set_type(onnx::AttributeProto::FLOATS);
  value->add_floats(3.0f);
  value->add_floats(4.0f);
  // C given as "": no bias.
  addNode(model, "Gemm", {"a2", "b", ""}, {"g"}, "gemm");
  addNode(model, "Add", {"g", "k"}, {"y"}, "add");
  addOutput(model, "y", {2, 2});
  addOutput(model, "a2", {2, 2});

  OwningOpRef<ModuleOp> module = importModel(model);
  ASSERT_TRUE(module) << allDiags();
  func::FuncOp f = getMain(*module);
  EXPECT_EQ(countOps(f), (std::map<std::string, int>{{"graph.constant", 1},
                                                     {"graph.linear", 1},
                                                     {"graph.add", 1},
                                                     {"func.return", 1}}));
  // Identity maps the value through: the second result is the argument.
  auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
  EXPECT_EQ(ret.getOperand(1), f.getArgument(0));
  EXPECT_EQ(resultName(f, 1), "a2");
  f.walk([&](graph::LinearOp l) { EXPECT_FALSE(l.getBias()); });
}

TEST_F(OnnxImporterTest, InitializerDataTypes) {
  // Initializers returned directly, to check each decoding.
  onnx::ModelProto model = makeModel();
  onnx::GraphProto *g = model.mutable_graph();
  auto add = [&](StringRef name, int32_t type) {
    onnx::TensorProto *t = g->add_initializer();
    t->set_name(name.str());
    t->set_data_type(type);
    t->add_dims(2);
    return t;
  };
  add("h", onnx::TensorProto::FLOAT16)->mutable_int32_data()->Add(0x3c00); // 1.0
  g->mutable_initializer(0)->add_int32_data(0xc000);                       // -2.0
  onnx::TensorProto *bf = add("bf", onnx::TensorProto::BFLOAT16);
  uint16_t bfBits[2] = {0x3f80, 0x4040}; // 1.0, 3.0
  bf->set_raw_data(std::string(reinterpret_cast<const char *>(bfBits), 4));
  onnx::TensorProto *i64 = add("i64", onnx::TensorProto::INT64);
  int64_t i64Values[2] = {-7, int64_t(1) << 40};
  i64->set_raw_data(std::string(reinterpret_cast<const char *>(i64Values), 16));
  onnx::TensorProto *i32 = add("i32", onnx::TensorProto::INT32);
  i32->add_int32_data(5);
  i32->add_int32_data(-6);
  onnx::TensorProto *i64Typed = add("i64t", onnx::TensorProto::INT64);
  i64Typed->add_int64_data(9);
  i64Typed->add_int64_data(10);
  addOutput(model, "h", {2}, onnx::TensorProto::FLOAT16);
  addOutput(model, "bf", {2}, onnx::TensorProto::BFLOAT16);
  addOutput(model, "i64", {2}, onnx::TensorProto::INT64);
  addOutput(model, "i32", {2}, onnx::TensorProto::INT32);
  addOutput(model, "i64t", {2}, onnx::TensorProto::INT64);

  OwningOpRef<ModuleOp> module = importModel(model);
  ASSERT_TRUE(module) << allDiags();
  func::FuncOp f = getMain(*module);
  auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
  auto valueOf = [&](unsigned i) {
    return cast<DenseElementsAttr>(ret.getOperand(i).getDefiningOp<graph::ConstantOp>().getValue());
  };
  auto floats = [](DenseElementsAttr a) {
    std::vector<double> out;
    for (APFloat v : a.getValues<APFloat>())
      out.push_back(v.convertToDouble());
    return out;
  };
  EXPECT_TRUE(valueOf(0).getElementType().isF16());
  EXPECT_EQ(floats(valueOf(0)), (std::vector<double>{1.0, -2.0}));
  EXPECT_TRUE(valueOf(1).getElementType().isBF16());
  EXPECT_EQ(floats(valueOf(1)), (std::vector<double>{1.0, 3.0}));
  auto ints = [](DenseElementsAttr a) {
    std::vector<int64_t> out;
    for (APInt v : a.getValues<APInt>())
      out.push_back(v.getSExtValue());
    return out;
  };
  EXPECT_EQ(ints(valueOf(2)), (std::vector<int64_t>{-7, int64_t(1) << 40}));
  EXPECT_EQ(ints(valueOf(3)), (std::vector<int64_t>{5, -6}));
  EXPECT_EQ(ints(valueOf(4)), (std::vector<int64_t>{9, 10}));
}

// The importer cuts the initializers' raw_data out of the message before
// protobuf parses it and reads those bytes from the model's buffer: every
// element type must come out exactly as the bytes went in, and typed-field
// and unused initializers between them must not shift which bytes go where.
TEST_F(OnnxImporterTest, RawInitializersImportVerbatim) {
  onnx::ModelProto model = makeModel();
  onnx::GraphProto *g = model.mutable_graph();
  struct Case {
    const char *name;
    int32_t type;
    int64_t bytesPerElement;
  };
  const Case cases[] = {{"f32", onnx::TensorProto::FLOAT, 4},   {"f16", onnx::TensorProto::FLOAT16, 2},
                        {"bf16", onnx::TensorProto::BFLOAT16, 2}, {"i64", onnx::TensorProto::INT64, 8},
                        {"i32", onnx::TensorProto::INT32, 4},   {"i16", onnx::TensorProto::INT16, 2},
                        {"i8", onnx::TensorProto::INT8, 1},     {"u8", onnx::TensorProto::UINT8, 1}};
  constexpr int64_t n = 37; // not a multiple of anything
  std::vector<std::string> expected;
  for (auto [i, c] : llvm::enumerate(cases)) {
    // An unused and a typed initializer before each raw one.
    onnx::TensorProto *unused = g->add_initializer();
    unused->set_name("unused" + std::to_string(i));
    unused->set_data_type(onnx::TensorProto::FLOAT);
    unused->add_dims(1);
    unused->set_raw_data(std::string(4, char(0x7f)));
    onnx::TensorProto *typed = g->add_initializer();
    typed->set_name("typed" + std::to_string(i));
    typed->set_data_type(onnx::TensorProto::INT64);
    typed->add_dims(1);
    typed->add_int64_data(int64_t(i) - 100);
    std::string raw;
    for (int64_t k = 0; k < n * c.bytesPerElement; ++k)
      raw.push_back(char((k * 31 + i * 7 + 1) & 0xff));
    if (c.type == onnx::TensorProto::FLOAT16 || c.type == onnx::TensorProto::BFLOAT16)
      for (int64_t k = 1; k < int64_t(raw.size()); k += 2)
        raw[k] = char(raw[k] & 0x3f); // finite values
    onnx::TensorProto *t = g->add_initializer();
    t->set_name(c.name);
    t->set_data_type(c.type);
    t->add_dims(n);
    t->set_raw_data(raw);
    expected.push_back(raw);
    addOutput(model, "typed" + std::to_string(i), {1}, onnx::TensorProto::INT64);
    addOutput(model, c.name, {n}, c.type);
  }
  onnx::TensorProto *b = g->add_initializer();
  b->set_name("bool");
  b->set_data_type(onnx::TensorProto::BOOL);
  b->add_dims(5);
  b->set_raw_data(std::string("\x01\x00\x00\x01\x01", 5));
  addOutput(model, "bool", {5}, onnx::TensorProto::BOOL);
  onnx::TensorProto *empty = g->add_initializer();
  empty->set_name("empty");
  empty->set_data_type(onnx::TensorProto::FLOAT);
  empty->add_dims(0);
  empty->set_raw_data("");
  addOutput(model, "empty", {0});

  OwningOpRef<ModuleOp> module = importModel(model);
  ASSERT_TRUE(module) << allDiags();
  auto ret = cast<func::ReturnOp>(getMain(*module).getBody().front().getTerminator());
  auto valueOf = [&](unsigned i) {
    return cast<DenseElementsAttr>(ret.getOperand(i).getDefiningOp<graph::ConstantOp>().getValue());
  };
  for (auto [i, c] : llvm::enumerate(cases)) {
    DenseElementsAttr typed = valueOf(2 * i), value = valueOf(2 * i + 1);
    EXPECT_EQ((*typed.getValues<APInt>().begin()).getSExtValue(), int64_t(i) - 100) << c.name;
    ArrayRef<char> raw = value.getRawData();
    EXPECT_EQ(std::string(raw.begin(), raw.end()), expected[i]) << c.name;
    EXPECT_EQ(value.getNumElements(), n) << c.name;
  }
  std::vector<bool> bits;
  for (bool v : valueOf(2 * std::size(cases)).getValues<bool>())
    bits.push_back(v);
  EXPECT_EQ(bits, (std::vector<bool>{true, false, false, true, true}));
  EXPECT_EQ(valueOf(2 * std::size(cases) + 1).getNumElements(), 0);
}

/// Appends field `number` of wire type 2 holding `payload`.
void appendDelimited(std::string &out, int number, const std::string &payload) {
  auto varint = [&](uint64_t v) {
    for (; v >= 0x80; v >>= 7)
      out.push_back(char(v | 0x80));
    out.push_back(char(v));
  };
  varint(uint64_t(number) << 3 | 2);
  varint(payload.size());
  out += payload;
}

// Protobuf merges a message field given twice and keeps the last of a
// repeated scalar field; the importer's raw_data shortcut must agree.
TEST_F(OnnxImporterTest, RawDataWireCornerCases) {
  onnx::ModelProto model = makeModel();
  onnx::TensorProto *first = model.mutable_graph()->add_initializer();
  first->set_name("a");
  first->set_data_type(onnx::TensorProto::FLOAT);
  first->add_dims(1);
  first->set_raw_data(std::string("\x00\x00\x80\x3f", 4)); // 1.0
  addOutput(model, "a", {1});
  addOutput(model, "b", {1});
  std::string bytes;
  ASSERT_TRUE(model.SerializeToString(&bytes));
  // A second graph field, merged into the first: initializer "b".
  onnx::TensorProto b;
  b.set_name("b");
  b.set_data_type(onnx::TensorProto::FLOAT);
  b.add_dims(1);
  b.set_raw_data(std::string("\x00\x00\x00\x40", 4)); // 2.0
  std::string graphB;
  appendDelimited(graphB, onnx::GraphProto::kInitializerFieldNumber, b.SerializeAsString());
  appendDelimited(bytes, onnx::ModelProto::kGraphFieldNumber, graphB);
  auto floatsOf = [&](ModuleOp module) {
    std::vector<float> out;
    auto ret = cast<func::ReturnOp>(getMain(module).getBody().front().getTerminator());
    for (Value v : ret.getOperands())
      out.push_back(*cast<DenseElementsAttr>(v.getDefiningOp<graph::ConstantOp>().getValue())
                         .getValues<float>()
                         .begin());
    return out;
  };
  OwningOpRef<ModuleOp> merged = importOnnxModelFromBytes(bytes, "test.onnx", ctx);
  ASSERT_TRUE(merged) << allDiags();
  // A third: initializer "c" whose raw_data is given twice; the last counts.
  onnx::TensorProto c;
  c.set_name("c");
  c.set_data_type(onnx::TensorProto::FLOAT);
  c.add_dims(1);
  c.set_raw_data(std::string("\x00\x00\x40\x40", 4)); // 3.0
  std::string cBytes = c.SerializeAsString();
  appendDelimited(cBytes, onnx::TensorProto::kRawDataFieldNumber, std::string("\x00\x00\x80\x40", 4)); // 4.0
  std::string graphC;
  appendDelimited(graphC, onnx::GraphProto::kInitializerFieldNumber, cBytes);
  onnx::ValueInfoProto outputC;
  setType(&outputC, "c", {1});
  appendDelimited(graphC, onnx::GraphProto::kOutputFieldNumber, outputC.SerializeAsString());
  appendDelimited(bytes, onnx::ModelProto::kGraphFieldNumber, graphC);

  EXPECT_EQ(floatsOf(*merged), (std::vector<float>{1.0f, 2.0f}));
  OwningOpRef<ModuleOp> module = importOnnxModelFromBytes(bytes, "test.onnx", ctx);
  ASSERT_TRUE(module) << allDiags();
  EXPECT_EQ(floatsOf(*module), (std::vector<float>{1.0f, 2.0f, 4.0f}));
}

TEST_F(OnnxImporterTest, LargeInitializer) {
  // 4 Mi floats (16 MiB) of raw_data, through the raw-buffer path.
  constexpr int64_t rows = 2048, cols = 2048;
  std::vector<float> values(rows * cols);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = float(i % 1000) * 0.5f;
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {1, rows});
  addInitializer(model, "W", {rows, cols}, values);
  addNode(model, "MatMul", {"x", "W"}, {"y"});
  addOutput(model, "y", {1, cols});
  OwningOpRef<ModuleOp> module = importModel(model);
  ASSERT_TRUE(module) << allDiags();
  graph::ConstantOp weights;
  getMain(*module).walk([&](graph::ConstantOp c) { weights = c; });
  ASSERT_TRUE(weights);
  auto dense = cast<DenseElementsAttr>(weights.getValue());
  ASSERT_EQ(dense.getNumElements(), rows * cols);
  auto data = dense.getValues<float>();
  for (int64_t i : {int64_t(0), int64_t(1), int64_t(999), rows * cols - 1})
    EXPECT_EQ(data[i], values[i]) << i;
}

//===----------------------------------------------------------------------===//
// Hostile initializers
//===----------------------------------------------------------------------===//

class InitializerErrorTest : public OnnxImporterTest {
protected:
  /// Imports a model returning the single initializer "w" and expects one
  /// error about it containing `expected`.
  void expectError(const onnx::TensorProto &tensor, StringRef expected) {
    onnx::ModelProto model = makeModel();
    *model.mutable_graph()->add_initializer() = tensor;
    model.mutable_graph()->add_output()->set_name("w");
    EXPECT_FALSE(importModel(model));
    std::string msg = onlyDiag();
    EXPECT_NE(msg.find("initializer 'w'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(expected.str()), std::string::npos) << msg;
  }

  onnx::TensorProto floatTensor(std::vector<int64_t> dims) {
    onnx::TensorProto t;
    t.set_name("w");
    t.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims)
      t.add_dims(d);
    return t;
  }
};

TEST_F(InitializerErrorTest, RawDataSizeMismatch) {
  onnx::TensorProto t = floatTensor({2, 3});
  t.set_raw_data(std::string(20, '\0'));
  expectError(t, "has 20 bytes of raw_data, but 'tensor<2x3xf32>' needs 24");
}

TEST_F(InitializerErrorTest, TypedDataCountMismatch) {
  onnx::TensorProto t = floatTensor({3});
  t.add_float_data(1.0f);
  expectError(t, "has 1 elements in float_data, but 'tensor<3xf32>' needs 3");
}

TEST_F(InitializerErrorTest, OverflowingDims) {
  onnx::TensorProto t = floatTensor({int64_t(1) << 40, int64_t(1) << 40});
  t.set_raw_data("abcd");
  expectError(t, "overflows");
  diags.clear();
  // 2^62 elements do not overflow the count, but their byte size would: the
  // element limit catches them first.
  onnx::TensorProto u = floatTensor({int64_t(1) << 62});
  expectError(u, "has 4611686018427387904 elements, more than the limit of 4294967296");
}

TEST_F(InitializerErrorTest, HugeDimsWithoutData) {
  // Must fail on the size check, not try to allocate 4 TiB.
  onnx::TensorProto t = floatTensor({int64_t(1) << 20, int64_t(1) << 20});
  expectError(t, "more than the limit of 4294967296");
  // Within the limit, the data must still be there.
  diags.clear();
  expectError(floatTensor({1 << 16, 1 << 16}), "has 0 elements in float_data");
}

TEST_F(InitializerErrorTest, NegativeDim) {
  onnx::TensorProto t = floatTensor({-2});
  expectError(t, "negative dimension 0");
}

TEST_F(InitializerErrorTest, ExternalDataNeedsAModelFile) {
  // From bytes there is no directory to resolve the location against.
  onnx::TensorProto t = floatTensor({2});
  t.set_data_location(onnx::TensorProto::EXTERNAL);
  onnx::StringStringEntryProto *entry = t.add_external_data();
  entry->set_key("location");
  entry->set_value("weights.bin");
  expectError(t, "uses external data ('weights.bin'), which needs the model to be read from a file");
}

TEST_F(InitializerErrorTest, TooManyElements) {
  // 2^34 elements: no overflow, but beyond the limit, and rejected before
  // the data is even looked at.
  onnx::TensorProto t = floatTensor({int64_t(1) << 17, int64_t(1) << 17});
  expectError(t, "has 17179869184 elements, more than the limit of 4294967296");
}

TEST_F(InitializerErrorTest, DoubleRejected) {
  onnx::TensorProto t = floatTensor({1});
  t.set_data_type(onnx::TensorProto::DOUBLE);
  t.add_double_data(1.0);
  expectError(t, "DOUBLE");
}

TEST_F(InitializerErrorTest, StringRejected) {
  onnx::TensorProto t = floatTensor({1});
  t.set_data_type(onnx::TensorProto::STRING);
  t.add_string_data("hi");
  expectError(t, "STRING");
}

TEST_F(InitializerErrorTest, BadFloat16Pattern) {
  onnx::TensorProto t = floatTensor({1});
  t.set_data_type(onnx::TensorProto::FLOAT16);
  t.add_int32_data(0x12345);
  expectError(t, "not a 16-bit pattern");
}

TEST_F(InitializerErrorTest, RawAndTypedData) {
  onnx::TensorProto t = floatTensor({1});
  t.set_raw_data(std::string(4, '\0'));
  t.add_float_data(1.0f);
  expectError(t, "both raw_data and a typed data field");
}

//===----------------------------------------------------------------------===//
// External data
//===----------------------------------------------------------------------===//

/// Models whose initializer "w" ([2, 3] f32) lives in a side file, written
/// to a fresh directory.
class ExternalDataTest : public OnnxImporterTest {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("trellis-extdata", root));
    dir = (root + "/model").str();
    ASSERT_FALSE(llvm::sys::fs::create_directory(dir));
    // 8 junk bytes, then the six floats.
    std::string bytes(8, 'x');
    bytes.append(reinterpret_cast<const char *>(values.data()), values.size() * 4);
    writeFile(dir + "/weights.bin", bytes);
    writeFile((root + "/secret.bin").str(), bytes);
  }
  void TearDown() override { llvm::sys::fs::remove_directories(root); }

  static void writeFile(const std::string &path, const std::string &bytes) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec) << path;
    os << bytes;
  }

  /// The model y = w with w's external_data set to `entries`, saved as
  /// model.onnx in the model directory, and imported from there.
  OwningOpRef<ModuleOp> import(std::vector<std::pair<std::string, std::string>> entries) {
    onnx::ModelProto model = makeModel();
    onnx::TensorProto *w = model.mutable_graph()->add_initializer();
    w->set_name("w");
    w->set_data_type(onnx::TensorProto::FLOAT);
    w->add_dims(2);
    w->add_dims(3);
    w->set_data_location(onnx::TensorProto::EXTERNAL);
    for (auto &[k, v] : entries) {
      onnx::StringStringEntryProto *e = w->add_external_data();
      e->set_key(k);
      e->set_value(v);
    }
    addNode(model, "Identity", {"w"}, {"y"}, "copy");
    addOutput(model, "y", {2, 3});
    std::string bytes;
    EXPECT_TRUE(model.SerializeToString(&bytes));
    writeFile(dir + "/model.onnx", bytes);
    return importOnnxModel(dir + "/model.onnx", ctx);
  }

  /// Imports with `entries` and expects one one-line error about "w".
  void expectError(std::vector<std::pair<std::string, std::string>> entries,
                   StringRef expected) {
    diags.clear();
    EXPECT_FALSE(import(std::move(entries)));
    std::string msg = onlyDiag();
    EXPECT_NE(msg.find("initializer 'w' "), std::string::npos) << msg;
    EXPECT_NE(msg.find(expected.str()), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line expected: " << msg;
  }

  std::vector<float> values = {1.5f, -2, 3, 4.25f, 5, 6};
  llvm::SmallString<128> root;
  std::string dir;
};

TEST_F(ExternalDataTest, ReadsOffsetAndLength) {
  OwningOpRef<ModuleOp> module =
      import({{"location", "weights.bin"}, {"offset", "8"}, {"length", "24"}});
  ASSERT_TRUE(module) << allDiags();
  graph::ConstantOp w;
  getMain(*module).walk([&](graph::ConstantOp c) { w = c; });
  ASSERT_TRUE(w);
  auto dense = cast<DenseElementsAttr>(w.getValue());
  EXPECT_EQ(shapeOf(dense.getType()), (std::vector<int64_t>{2, 3}));
  std::vector<float> got(dense.getValues<float>().begin(), dense.getValues<float>().end());
  EXPECT_EQ(got, values);
}

TEST_F(ExternalDataTest, LengthDefaultsToTheTensorSize) {
  // No length: the tensor's 24 bytes at the offset, the rest of the file
  // being longer is fine.
  writeFile(dir + "/weights.bin", std::string(8, 'x') +
                                      std::string(reinterpret_cast<const char *>(values.data()),
                                                  24) +
                                      "trailing");
  EXPECT_TRUE(import({{"location", "weights.bin"}, {"offset", "8"}})) << allDiags();
}

TEST_F(ExternalDataTest, EscapesAreRejected) {
  expectError({{"location", (root + "/secret.bin").str()}, {"offset", "8"}},
              "an absolute path; it must be relative to the model's directory");
  expectError({{"location", "../secret.bin"}, {"offset", "8"}},
              "which leaves the model's directory ('..')");
  expectError({{"location", "sub/../../secret.bin"}, {"offset", "8"}},
              "which leaves the model's directory ('..')");
  ASSERT_FALSE(llvm::sys::fs::create_link(root + "/secret.bin", dir + "/link.bin"));
  expectError({{"location", "link.bin"}, {"offset", "8"}}, "outside the model's directory");
  // A symlinked directory pointing out is no better.
  ASSERT_FALSE(llvm::sys::fs::create_link(root.str(), dir + "/up"));
  expectError({{"location", "up/secret.bin"}, {"offset", "8"}}, "outside the model's directory");
}

TEST_F(ExternalDataTest, SymlinkInsideTheDirectoryIsFine) {
  ASSERT_FALSE(llvm::sys::fs::create_link(dir + "/weights.bin", dir + "/alias.bin"));
  EXPECT_TRUE(import({{"location", "alias.bin"}, {"offset", "8"}})) << allDiags();
}

TEST_F(ExternalDataTest, BadFilesAndRanges) {
  expectError({{"location", "nowhere.bin"}}, "'nowhere.bin', which cannot be read");
  ASSERT_FALSE(llvm::sys::fs::create_directory(dir + "/sub"));
  expectError({{"location", "sub"}}, "which is not a regular file");
  expectError({{"location", "weights.bin"}, {"offset", "100"}},
              "needs bytes [100, 124) of external data file 'weights.bin', which has 32");
  expectError({{"location", "weights.bin"}, {"offset", "9"}},
              "needs bytes [9, 33) of external data file 'weights.bin', which has 32");
  expectError({{"location", "weights.bin"}, {"offset", "18446744073709551615"}},
              "is not a non-negative integer");
  expectError({{"location", "weights.bin"}, {"offset", "8"}, {"length", "4"}},
              "has external data length 4, but its type needs 24 bytes");
  expectError({{"location", "weights.bin"}, {"offset", "-8"}},
              "has external data offset '-8', which is not a non-negative integer");
  expectError({{"location", "weights.bin"}, {"offset", "8x"}}, "is not a non-negative integer");
}

TEST_F(ExternalDataTest, BadEntries) {
  expectError({{"offset", "8"}}, "uses external data but gives no location");
  expectError({{"location", ""}}, "uses external data but gives no location");
  expectError({{"location", "weights.bin"}, {"location", "weights.bin"}},
              "gives external_data key 'location' twice");
  expectError({{"location", "weights.bin"}, {"sha", "x"}}, "unknown external_data key 'sha'");
  expectError({{"location", std::string("weights.bin\0../x", 17)}}, "NUL byte");
}

//===----------------------------------------------------------------------===//
// Hostile graphs
//===----------------------------------------------------------------------===//

TEST_F(OnnxImporterTest, IrVersionTooNew) {
  onnx::ModelProto model = makeModel();
  model.set_ir_version(12);
  EXPECT_FALSE(importModel(model));
  EXPECT_NE(onlyDiag().find("unsupported ONNX IR version 12 (supported: 3 to 11)"),
            std::string::npos);
}

TEST_F(OnnxImporterTest, NoGraphAndNoOutputs) {
  onnx::ModelProto model = makeModel();
  model.clear_graph();
  EXPECT_FALSE(importModel(model));
  EXPECT_NE(onlyDiag().find("model has no graph"), std::string::npos);
  diags.clear();
  model = makeModel();
  addInput(model, "x", {2});
  EXPECT_FALSE(importModel(model));
  EXPECT_NE(onlyDiag().find("graph 'g' has no outputs"), std::string::npos);
}

TEST_F(OnnxImporterTest, HugeGraphInputIsRejected) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {int64_t(1) << 20, int64_t(1) << 20, int64_t(1) << 20});
  addNode(model, "Relu", {"x"}, {"y"});
  addOutput(model, "y", {});
  EXPECT_FALSE(importModel(model));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("graph input 'x' has more than 4294967296 elements"), std::string::npos)
      << msg;
}

TEST_F(OnnxImporterTest, CycleIsNamed) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2});
  addNode(model, "Add", {"x", "b"}, {"a"}, "first");
  addNode(model, "Relu", {"a"}, {"b"}, "second");
  addOutput(model, "b", {2});
  EXPECT_FALSE(importModel(model));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("node 'first' (op type Add): input 1 ('b') is produced by node 'second', "
                     "which depends on this node's output: the graph has a cycle"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST_F(OnnxImporterTest, SelfLoopIsACycle) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2});
  addNode(model, "Add", {"x", "y"}, {"y"}, "loop");
  addOutput(model, "y", {2});
  EXPECT_FALSE(importModel(model));
  EXPECT_NE(onlyDiag().find("the graph has a cycle"), std::string::npos);
}

TEST_F(OnnxImporterTest, TwoNodesDefiningOneName) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2});
  addNode(model, "Relu", {"x"}, {"y"}, "one");
  addNode(model, "Neg", {"x"}, {"y"}, "two");
  addOutput(model, "y", {2});
  EXPECT_FALSE(importModel(model));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("node 'two' (op type Neg): value 'y' is already defined"), std::string::npos)
      << msg;
}

TEST_F(OnnxImporterTest, GraphOutputListedTwice) {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2});
  addNode(model, "Relu", {"x"}, {"y"}, "act");
  addOutput(model, "y", {2});
  addOutput(model, "y", {2});
  EXPECT_FALSE(importModel(model));
  std::string msg = onlyDiag();
  EXPECT_NE(msg.find("graph output 'y' is listed twice"), std::string::npos) << msg;
}

TEST_F(OnnxImporterTest, UnusedBadInitializerIsIgnored) {
  // Initializers are imported on first use, so a broken unused one is no
  // obstacle (ONNX runtimes behave the same).
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2});
  addInitializer(model, "unused", {3}, {1.0f}); // Too short, never read.
  addNode(model, "Relu", {"x"}, {"y"});
  addOutput(model, "y", {2});
  EXPECT_TRUE(importModel(model)) << allDiags();
}

} // namespace
