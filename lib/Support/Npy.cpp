//===- Npy.cpp - NumPy .npy reader and writer -----------------------------===//
//
// The format (numpy/lib/format.py): a 6-byte magic "\x93NUMPY", a major and
// minor version byte, a little-endian header length (uint16 for 1.x, uint32
// for 2.x/3.x), then a Python dict literal with the keys 'descr',
// 'fortran_order' and 'shape', padded with spaces and a newline, then the
// raw data. The reader treats the input as hostile: every length and count
// is checked before it is used.
//
//===----------------------------------------------------------------------===//

#include "trellis/Support/Npy.h"
#include "trellis/Support/FileIO.h"
#include "trellis/Support/Numerics.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <optional>

using namespace llvm;
using namespace trellis;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kAlign = 64;

/// `s` escaped and shortened for a one-line message: header text is untrusted.
std::string quoted(StringRef s) {
  std::string out;
  raw_string_ostream os(out);
  os << '\'';
  printEscapedString(s.take_front(40), os);
  if (s.size() > 40)
    os << "...";
  os << '\'';
  return out;
}

/// A value of the header dict.
struct PyValue {
  enum Kind { String, Bool, Int, Tuple, List } kind = String;
  std::string str;
  bool boolean = false;
  int64_t integer = 0;
  std::vector<int64_t> tuple;
};

/// Recursive-descent parser for the Python literal subset numpy writes.
class HeaderParser {
public:
  explicit HeaderParser(StringRef text) : rest(text) {}

  /// Parses the dict into `entries`; on failure returns false and sets
  /// `error`.
  bool parseDict(std::vector<std::pair<std::string, PyValue>> &entries) {
    skipSpace();
    if (!consume('{'))
      return fail("expected '{'");
    skipSpace();
    while (!consume('}')) {
      std::string key;
      if (!parseString(key))
        return fail("expected a quoted key");
      skipSpace();
      if (!consume(':'))
        return fail("expected ':' after " + quoted(key));
      skipSpace();
      PyValue value;
      if (!parseValue(value))
        return false;
      entries.emplace_back(std::move(key), std::move(value));
      skipSpace();
      if (consume(','))
        skipSpace();
      else if (!rest.starts_with("}"))
        return fail("expected ',' or '}'");
    }
    skipSpace();
    if (!rest.empty())
      return fail("unexpected text after the dict");
    return true;
  }

  std::string error;

private:
  StringRef rest;

  /// Records the first error; returns false for `return fail(...)`.
  bool fail(const Twine &msg) {
    if (error.empty())
      error = msg.str();
    return false;
  }

  void skipSpace() { rest = rest.ltrim(" \t\r\n"); }

  bool consume(char c) {
    if (!rest.starts_with(StringRef(&c, 1)))
      return false;
    rest = rest.drop_front();
    return true;
  }

  bool parseString(std::string &out) {
    if (rest.empty() || (rest.front() != '\'' && rest.front() != '"'))
      return false;
    char quote = rest.front();
    size_t end = rest.find(quote, 1);
    if (end == StringRef::npos)
      return false;
    StringRef body = rest.slice(1, end);
    if (body.contains('\\'))
      return false; // numpy never escapes anything in these keys or descrs
    out = body.str();
    rest = rest.drop_front(end + 1);
    return true;
  }

  bool parseInt(int64_t &out) {
    size_t len = 0;
    if (rest.starts_with("-"))
      ++len;
    while (len < rest.size() && isDigit(rest[len]))
      ++len;
    StringRef digits = rest.take_front(len);
    if (digits.empty() || digits == "-")
      return false;
    if (digits.getAsInteger(10, out)) {
      fail("integer " + quoted(digits) + " out of range");
      return false;
    }
    rest = rest.drop_front(len);
    consume('L'); // Python 2 longs, as old numpy wrote them
    return true;
  }

  bool parseValue(PyValue &v) {
    if (rest.starts_with("'") || rest.starts_with("\"")) {
      v.kind = PyValue::String;
      if (!parseString(v.str))
        return fail("unterminated or escaped string");
      return true;
    }
    if (rest.consume_front("True")) {
      v.kind = PyValue::Bool;
      v.boolean = true;
      return true;
    }
    if (rest.consume_front("False")) {
      v.kind = PyValue::Bool;
      v.boolean = false;
      return true;
    }
    if (consume('(')) {
      v.kind = PyValue::Tuple;
      skipSpace();
      while (!consume(')')) {
        int64_t x;
        if (!parseInt(x))
          return fail("expected an integer in the tuple");
        v.tuple.push_back(x);
        skipSpace();
        if (consume(','))
          skipSpace();
        else if (!rest.starts_with(")"))
          return fail("expected ',' or ')' in the tuple");
      }
      return true;
    }
    if (rest.starts_with("[")) {
      // A structured dtype's descr. Not supported; no need to parse it.
      v.kind = PyValue::List;
      return fail("structured dtypes (a list descr) are not supported");
    }
    v.kind = PyValue::Int;
    if (!parseInt(v.integer))
      return fail("unexpected value");
    return true;
  }
};

Error npyError(StringRef origin, const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), (origin + ": npy: " + msg).str());
}

std::optional<HostDType> dtypeFromDescr(StringRef descr) {
  if (descr.size() != 3)
    return std::nullopt;
  char order = descr[0];
  if (order != '<' && order != '|' && order != '=')
    return std::nullopt; // '=' is native, which is little-endian on every host we build for
  return StringSwitch<std::optional<HostDType>>(descr.drop_front())
      .Case("f4", HostDType::f32)
      .Case("f2", HostDType::f16)
      .Case("f8", HostDType::f64)
      .Case("i8", HostDType::i64)
      .Case("i4", HostDType::i32)
      .Case("u4", HostDType::u32)
      .Case("i2", HostDType::i16)
      .Case("i1", HostDType::i8)
      .Case("u1", HostDType::u8)
      .Case("b1", HostDType::boolean)
      .Default(std::nullopt);
}

const char *descrOf(HostDType t) {
  switch (t) {
  case HostDType::f32:
  case HostDType::bf16: // widened: numpy has no bf16
    return "<f4";
  case HostDType::f16:
    return "<f2";
  case HostDType::f64:
    return "<f8";
  case HostDType::i64:
    return "<i8";
  case HostDType::i32:
    return "<i4";
  case HostDType::u32:
    return "<u4";
  case HostDType::i16:
    return "<i2";
  case HostDType::i8:
    return "|i1";
  case HostDType::u8:
    return "|u1";
  case HostDType::boolean:
    return "|b1";
  }
  return "<f4";
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += ", ";
    s += std::to_string(d);
  }
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

} // namespace

Expected<HostTensor> trellis::parseNpy(StringRef bytes, StringRef origin) {
  if (bytes.size() < kMagicLen || bytes.substr(0, kMagicLen) != StringRef(kMagic, kMagicLen))
    return npyError(origin, "bad magic (not a .npy file)");
  if (bytes.size() < kMagicLen + 2)
    return npyError(origin, "truncated before the version bytes");
  uint8_t major = bytes[6], minor = bytes[7];
  size_t lenBytes;
  if (major == 1)
    lenBytes = 2;
  else if (major == 2 || major == 3)
    lenBytes = 4;
  else
    return npyError(origin, "unsupported format version " + Twine(unsigned(major)) + "." + Twine(unsigned(minor)));
  size_t headerStart = 8 + lenBytes;
  if (bytes.size() < headerStart)
    return npyError(origin, "truncated before the header length");
  uint64_t headerLen = lenBytes == 2 ? support::endian::read16le(bytes.data() + 8)
                                     : support::endian::read32le(bytes.data() + 8);
  if (headerLen > bytes.size() - headerStart)
    return npyError(origin, "truncated header (header length " + Twine(headerLen) + ", only " +
                                Twine(bytes.size() - headerStart) + " bytes follow)");
  StringRef header = bytes.substr(headerStart, headerLen);
  if (header.contains('\0'))
    return npyError(origin, "header contains a NUL byte");

  HeaderParser parser(header);
  std::vector<std::pair<std::string, PyValue>> entries;
  if (!parser.parseDict(entries))
    return npyError(origin, "unparsable header dict: " + parser.error);

  const PyValue *descr = nullptr, *fortran = nullptr, *shape = nullptr;
  for (auto &[key, value] : entries) {
    const PyValue **slot = StringSwitch<const PyValue **>(key)
                               .Case("descr", &descr)
                               .Case("fortran_order", &fortran)
                               .Case("shape", &shape)
                               .Default(nullptr);
    if (!slot)
      return npyError(origin, "unexpected header key " + quoted(key));
    if (*slot)
      return npyError(origin, "duplicate header key " + quoted(key));
    *slot = &value;
  }
  if (!descr || !fortran || !shape)
    return npyError(origin, Twine("header lacks '") + (!descr ? "descr" : !fortran ? "fortran_order" : "shape") +
                                "'");
  if (descr->kind != PyValue::String)
    return npyError(origin, "'descr' is not a string");
  if (fortran->kind != PyValue::Bool)
    return npyError(origin, "'fortran_order' is not True or False");
  if (shape->kind != PyValue::Tuple)
    return npyError(origin, "'shape' is not a tuple");

  if (StringRef(descr->str).starts_with(">"))
    return npyError(origin, "big-endian dtype " + quoted(descr->str) + " is not supported");
  std::optional<HostDType> dtype = dtypeFromDescr(descr->str);
  if (!dtype)
    return npyError(origin, "unsupported dtype " + quoted(descr->str) +
                                " (supported: <f4 <f2 <f8 <i8 <i4 <u4 <i2 |i1 |u1 |b1)");
  if (fortran->boolean)
    return npyError(origin, "fortran_order True is not supported (save a C-order array)");

  HostTensor t;
  t.dtype = *dtype;
  int64_t count = 1;
  for (int64_t d : shape->tuple) {
    if (d < 0)
      return npyError(origin, "negative dimension in shape " + shapeString(shape->tuple));
    if (MulOverflow(count, d, count))
      return npyError(origin, "shape " + shapeString(shape->tuple) + " overflows");
  }
  int64_t dataBytes;
  if (MulOverflow(count, hostDTypeBytes(t.dtype), dataBytes))
    return npyError(origin, "shape " + shapeString(shape->tuple) + " overflows");
  t.shape = shape->tuple;

  StringRef data = bytes.drop_front(headerStart + headerLen);
  if (uint64_t(dataBytes) != data.size())
    return npyError(origin, "data size mismatch: shape " + shapeString(t.shape) + " of " + descr->str + " needs " +
                                Twine(dataBytes) + " bytes, file has " + Twine(data.size()));
  t.data.assign(data.bytes_begin(), data.bytes_end());
  return t;
}

std::string trellis::serializeNpy(const HostTensor &t) {
  std::string dict = std::string("{'descr': '") + descrOf(t.dtype) +
                     "', 'fortran_order': False, 'shape': " + shapeString(t.shape) + ", }";
  // Pad with spaces so that the data starts 64-byte aligned, as numpy does;
  // fall back to version 2.0 when the header does not fit a uint16.
  uint8_t major = 1;
  size_t preamble = 10;
  size_t total = alignTo(preamble + dict.size() + 1, kAlign);
  if (total - preamble > 0xffff) {
    major = 2;
    preamble = 12;
    total = alignTo(preamble + dict.size() + 1, kAlign);
  }
  size_t headerLen = total - preamble;
  dict.append(headerLen - dict.size() - 1, ' ');
  dict += '\n';

  std::string out(kMagic, kMagicLen);
  out += char(major);
  out += char(0);
  char len[4];
  if (major == 1) {
    support::endian::write16le(len, uint16_t(headerLen));
    out.append(len, 2);
  } else {
    support::endian::write32le(len, uint32_t(headerLen));
    out.append(len, 4);
  }
  out += dict;

  if (t.dtype == HostDType::bf16) {
    size_t n = t.data.size() / 2;
    out.reserve(out.size() + n * 4);
    for (size_t i = 0; i < n; ++i) {
      float f = numerics::bf16ToF32(support::endian::read16le(t.data.data() + 2 * i));
      char buf[4];
      std::memcpy(buf, &f, 4);
      out.append(buf, 4);
    }
  } else {
    out.append(reinterpret_cast<const char *>(t.data.data()), t.data.size());
  }
  return out;
}

Expected<HostTensor> trellis::readNpyFile(StringRef path) {
  Expected<std::string> bytes = readFile(path);
  if (!bytes)
    return bytes.takeError();
  return parseNpy(*bytes, path);
}

Error trellis::writeNpyFile(const HostTensor &t, StringRef path) {
  return writeFileAtomically(path, serializeNpy(t));
}
