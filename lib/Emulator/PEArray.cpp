//===- PEArray.cpp - Cycle-level model of the systolic PE array -----------===//
//
// Every register of the array is simulated; a cycle computes all PEs' next
// state from the current one (two buffers), so no value can move more than
// one PE per cycle. Deliberately naive: it is the reference the fast kernel
// and the fast timing model are checked against.
//
//===----------------------------------------------------------------------===//

#include "trellis/Emulator/PEArray.h"
#include <algorithm>

using namespace trellis;
using namespace trellis::emu;

namespace {
/// A value on a wire, tagged with the moving column (or, for weights, the
/// destination column) it belongs to; tag -1 is a bubble.
struct Token {
  float value = 0.0f;
  int64_t tag = -1;
  bool valid() const { return tag >= 0; }
};
} // namespace

static llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "PE array: " + msg);
}

llvm::Expected<PEArrayResult> emu::runPEArray(llvm::ArrayRef<float> stationary,
                                              llvm::ArrayRef<float> moving,
                                              llvm::ArrayRef<float> acc, int64_t K, int64_t M,
                                              int64_t N, int64_t loadWidth) {
  if (K <= 0 || M <= 0 || N <= 0 || loadWidth <= 0)
    return fail("K, M, N and loadWidth must be positive");
  if (int64_t(stationary.size()) != K * M || int64_t(moving.size()) != K * N ||
      (!acc.empty() && int64_t(acc.size()) != M * N))
    return fail("operand sizes do not match K=" + llvm::Twine(K) + " M=" + llvm::Twine(M) +
                " N=" + llvm::Twine(N));

  PEArrayResult r;
  auto at = [M](int64_t k, int64_t m) { return size_t(k * M + m); };

  // LoadStationary. Each row has `loadWidth` interleaved shift chains (chain
  // j threads columns j, j + w, j + 2w, ...); every cycle each weight hops
  // to the next PE of its chain and the left edge feeds the chain heads, the
  // farthest-bound weight first. After L = ceil(M / w) cycles every weight
  // has arrived; the tags prove it.
  std::vector<Token> w(size_t(K * M)), wNext(w.size());
  int64_t L = (M + loadWidth - 1) / loadWidth;
  for (int64_t c = 0; c < L; ++c) {
    for (int64_t k = 0; k < K; ++k)
      for (int64_t m = 0; m < M; ++m) {
        if (m >= loadWidth) {
          wNext[at(k, m)] = w[at(k, m - loadWidth)];
          continue;
        }
        // Enters now and hops L - 1 - c more times.
        int64_t dest = m + loadWidth * (L - 1 - c);
        wNext[at(k, m)] = dest < M ? Token{stationary[at(k, dest)], dest} : Token{};
      }
    std::swap(w, wNext);
  }
  for (int64_t k = 0; k < K; ++k)
    for (int64_t m = 0; m < M; ++m)
      if (w[at(k, m)].tag != m)
        return fail("weight load left PE (" + llvm::Twine(k) + ", " + llvm::Twine(m) +
                    ") holding the weight of column " + llvm::Twine(w[at(k, m)].tag));
  r.loadCycles = L;

  // MultiplyMoving. x[k][m]: the moving value PE (k, m) latched, passed right
  // next cycle; p[k][m]: the partial sum it produced, passed down.
  std::vector<Token> x(size_t(K * M)), p(size_t(K * M)), xNext(x.size()), pNext(p.size());
  r.out.assign(size_t(M * N), 0.0f);
  std::vector<bool> written(size_t(M * N), false);
  int64_t remaining = M * N;
  // The last result leaves at cycle N + K + M - 3; a few more mean a bug.
  int64_t limit = N + K + M + 8;
  int64_t t = 0;
  for (; remaining > 0; ++t) {
    if (t >= limit)
      return fail("array did not drain within " + llvm::Twine(limit) + " cycles");
    for (int64_t k = 0; k < K; ++k)
      for (int64_t m = 0; m < M; ++m) {
        Token xin, pin;
        if (m > 0) {
          xin = x[at(k, m - 1)];
        } else if (int64_t n = t - k; n >= 0 && n < N) {
          xin = {moving[size_t(k * N + n)], n}; // row k skewed by k cycles
        }
        if (k > 0) {
          pin = p[at(k - 1, m)];
        } else if (int64_t n = t - m; n >= 0 && n < N) {
          // The accumulator enters column m skewed by m cycles, like the
          // moving data reaching that column.
          pin = {acc.empty() ? 0.0f : acc[size_t(m * N + n)], n};
        }
        if (xin.tag != pin.tag)
          return fail("cycle " + llvm::Twine(t) + ": PE (" + llvm::Twine(k) + ", " +
                      llvm::Twine(m) + ") got moving column " + llvm::Twine(xin.tag) +
                      " and the partial sum of column " + llvm::Twine(pin.tag));
        xNext[at(k, m)] = xin;
        // Product rounded to fp32, then added: the fast kernel's order.
        float prod = w[at(k, m)].value * xin.value;
        pNext[at(k, m)] = xin.valid() ? Token{pin.value + prod, xin.tag} : Token{};
      }
    std::swap(x, xNext);
    std::swap(p, pNext);
    for (int64_t m = 0; m < M; ++m) {
      const Token &o = p[at(K - 1, m)];
      if (!o.valid())
        continue;
      size_t i = size_t(m * N + o.tag);
      if (written[i])
        return fail("output (" + llvm::Twine(m) + ", " + llvm::Twine(o.tag) + ") produced twice");
      written[i] = true;
      r.out[i] = o.value;
      --remaining;
    }
  }
  r.streamCycles = t;
  return r;
}
