// Tensor operations exposed to TypeScript. Each binding reads its arguments,
// calls one ATen function and wraps the result; Guard() turns libtorch errors
// (shape mismatches and the like) into JS Errors carrying libtorch's message.
#include "common.h"

#include <cmath>

namespace deepcut {

namespace {

bool IsNumberArg(const Napi::CallbackInfo& info, size_t i) { return i < info.Length() && info[i].IsNumber(); }

c10::optional<int64_t> OptInt(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return c10::nullopt;
  return ArgInt(info, i);
}

bool OptBool(const Napi::CallbackInfo& info, size_t i, bool fallback) {
  if (i >= info.Length() || info[i].IsUndefined()) return fallback;
  return ArgBool(info, i);
}

c10::optional<double> OptDouble(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return c10::nullopt;
  return ArgDouble(info, i);
}

Napi::Array Pair(const Napi::CallbackInfo& info, const std::tuple<torch::Tensor, torch::Tensor>& tuple) {
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Wrap(info, std::get<0>(tuple)));
  out.Set(1u, Wrap(info, std::get<1>(tuple)));
  return out;
}

// An integral tensor combined with an integral JS number stays integral (as in
// PyTorch, where `ids + 1` is int64); otherwise the number is a double scalar.
torch::Scalar NumberScalar(const torch::Tensor& a, double value) {
  bool integral = c10::isIntegralType(a.scalar_type(), /*includeBool=*/false);
  if (integral && std::trunc(value) == value && std::abs(value) < 9007199254740992.0) return torch::Scalar(static_cast<int64_t>(value));
  return torch::Scalar(value);
}

int64_t ParseReduction(const Napi::CallbackInfo& info, size_t i) {
  std::string r = i < info.Length() && info[i].IsString() ? ArgString(info, i) : "mean";
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  throw Napi::TypeError::New(info.Env(), "unknown reduction '" + r + "' (expected mean, sum or none)");
}

}  // namespace

// Binary op whose second operand may be a tensor or a JS number.
#define BINARY(name, expr)                                                                         \
  exports.Set(name, Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {  \
                return Guard(info, [&]() -> Napi::Value {                                         \
                  torch::Tensor& a = ArgTensor(info, 0);                                          \
                  if (IsNumberArg(info, 1)) {                                                     \
                    torch::Scalar b = NumberScalar(a, ArgDouble(info, 1));                        \
                    return Wrap(info, expr);                                                      \
                  }                                                                               \
                  torch::Tensor& b = ArgTensor(info, 1);                                          \
                  return Wrap(info, expr);                                                        \
                });                                                                               \
              }))

#define UNARY(name, expr)                                                                          \
  exports.Set(name, Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {  \
                return Guard(info, [&]() -> Napi::Value {                                         \
                  torch::Tensor& a = ArgTensor(info, 0);                                          \
                  return Wrap(info, expr);                                                        \
                });                                                                               \
              }))

#define FN(name, ...)                                                                             \
  exports.Set(name, Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {  \
                return Guard(info, [&]() -> Napi::Value { __VA_ARGS__ });                                \
              }))

void RegisterOps(Napi::Env env, Napi::Object exports) {
  // Elementwise arithmetic (broadcasting) and comparisons
  BINARY("add", torch::add(a, b));
  BINARY("sub", torch::sub(a, b));
  BINARY("mul", torch::mul(a, b));
  BINARY("div", torch::div(a, b));
  BINARY("pow", torch::pow(a, b));
  FN("maximum", return Wrap(info, torch::maximum(ArgTensor(info, 0), ArgTensor(info, 1))););
  FN("minimum", return Wrap(info, torch::minimum(ArgTensor(info, 0), ArgTensor(info, 1))););
  BINARY("eq", torch::eq(a, b));
  BINARY("ne", torch::ne(a, b));
  BINARY("lt", torch::lt(a, b));
  BINARY("le", torch::le(a, b));
  BINARY("gt", torch::gt(a, b));
  BINARY("ge", torch::ge(a, b));
  FN("logicalAnd", return Wrap(info, torch::logical_and(ArgTensor(info, 0), ArgTensor(info, 1))););
  FN("logicalOr", return Wrap(info, torch::logical_or(ArgTensor(info, 0), ArgTensor(info, 1))););
  UNARY("logicalNot", torch::logical_not(a));

  // Elementwise functions
  UNARY("neg", torch::neg(a));
  UNARY("abs", torch::abs(a));
  UNARY("exp", torch::exp(a));
  UNARY("log", torch::log(a));
  UNARY("sqrt", torch::sqrt(a));
  UNARY("rsqrt", torch::rsqrt(a));
  UNARY("sin", torch::sin(a));
  UNARY("cos", torch::cos(a));
  UNARY("tanh", torch::tanh(a));
  UNARY("sigmoid", torch::sigmoid(a));
  UNARY("relu", torch::relu(a));
  FN("gelu", {
    // "none" is the exact erf form BERT uses; "tanh" the approximation.
    std::string approximate = info.Length() > 1 && info[1].IsString() ? ArgString(info, 1) : "none";
    return Wrap(info, at::gelu(ArgTensor(info, 0), approximate));
  });
  FN("clamp", {
    c10::optional<double> lo = OptDouble(info, 1), hi = OptDouble(info, 2);
    c10::optional<c10::Scalar> low, high;
    if (lo) low = c10::Scalar(*lo);
    if (hi) high = c10::Scalar(*hi);
    return Wrap(info, torch::clamp(ArgTensor(info, 0), low, high));
  });

  // Linear algebra
  FN("matmul", return Wrap(info, torch::matmul(ArgTensor(info, 0), ArgTensor(info, 1))););
  FN("bmm", return Wrap(info, torch::bmm(ArgTensor(info, 0), ArgTensor(info, 1))););
  FN("linear", return Wrap(info, torch::linear(ArgTensor(info, 0), ArgTensor(info, 1), ArgOptTensor(info, 2))););

  // Shape and layout
  FN("reshape", return Wrap(info, ArgTensor(info, 0).reshape(ArgIntList(info, 1))););
  FN("view", return Wrap(info, ArgTensor(info, 0).view(ArgIntList(info, 1))););
  FN("transpose", return Wrap(info, ArgTensor(info, 0).transpose(ArgInt(info, 1), ArgInt(info, 2))););
  FN("permute", return Wrap(info, ArgTensor(info, 0).permute(ArgIntList(info, 1))););
  FN("expand", return Wrap(info, ArgTensor(info, 0).expand(ArgIntList(info, 1))););
  UNARY("contiguous", a.contiguous());
  FN("unsqueeze", return Wrap(info, ArgTensor(info, 0).unsqueeze(ArgInt(info, 1))););
  FN("squeeze", {
    c10::optional<int64_t> dim = OptInt(info, 1);
    return Wrap(info, dim ? ArgTensor(info, 0).squeeze(*dim) : ArgTensor(info, 0).squeeze());
  });
  FN("flatten", return Wrap(info, ArgTensor(info, 0).flatten(ArgInt(info, 1), ArgInt(info, 2))););
  FN("cat", return Wrap(info, torch::cat(ArgTensorList(info, 0), ArgInt(info, 1))););
  FN("stack", return Wrap(info, torch::stack(ArgTensorList(info, 0), ArgInt(info, 1))););
  FN("to", {
    torch::Tensor& a = ArgTensor(info, 0);
    std::string target = ArgString(info, 1);
    if (target.rfind("cpu", 0) == 0 || target.rfind("cuda", 0) == 0 || target.rfind("mps", 0) == 0) {
      return Wrap(info, a.to(ParseDevice(info.Env(), target)));
    }
    return Wrap(info, a.to(ParseDtype(info.Env(), target)));
  });
  UNARY("clone", a.clone());
  UNARY("detach", a.detach());

  // Slicing and indexing
  FN("slice", return Wrap(info, ArgTensor(info, 0).slice(ArgInt(info, 1), OptInt(info, 2), OptInt(info, 3),
                                                         IsNumberArg(info, 4) ? ArgInt(info, 4) : 1)););
  FN("select", return Wrap(info, ArgTensor(info, 0).select(ArgInt(info, 1), ArgInt(info, 2))););
  FN("narrow", return Wrap(info, ArgTensor(info, 0).narrow(ArgInt(info, 1), ArgInt(info, 2), ArgInt(info, 3))););
  FN("indexSelect", return Wrap(info, torch::index_select(ArgTensor(info, 0), ArgInt(info, 1), ArgTensor(info, 2))););
  FN("gather", return Wrap(info, torch::gather(ArgTensor(info, 0), ArgInt(info, 1), ArgTensor(info, 2))););
  FN("maskedFill", return Wrap(info, ArgTensor(info, 0).masked_fill(ArgTensor(info, 1), ArgDouble(info, 2))););
  FN("where", {
    torch::Tensor& cond = ArgTensor(info, 0);
    torch::Tensor& a = ArgTensor(info, 1);
    if (IsNumberArg(info, 2)) return Wrap(info, torch::where(cond, a, torch::scalar_tensor(ArgDouble(info, 2), a.options())));
    return Wrap(info, torch::where(cond, a, ArgTensor(info, 2)));
  });
  FN("oneHot", return Wrap(info, torch::one_hot(ArgTensor(info, 0), ArgInt(info, 1))););
  FN("topk", return Pair(info, torch::topk(ArgTensor(info, 0), ArgInt(info, 1), ArgInt(info, 2), OptBool(info, 3, true))););
  FN("cumsum", return Wrap(info, torch::cumsum(ArgTensor(info, 0), ArgInt(info, 1))););
  FN("triu", return Wrap(info, torch::triu(ArgTensor(info, 0), IsNumberArg(info, 1) ? ArgInt(info, 1) : 0)););

  // Reductions (dims = undefined reduces over all elements)
  FN("sum", {
    torch::Tensor& a = ArgTensor(info, 0);
    if (info.Length() < 2 || info[1].IsUndefined()) return Wrap(info, a.sum());
    return Wrap(info, a.sum(ArgIntList(info, 1), OptBool(info, 2, false)));
  });
  FN("mean", {
    torch::Tensor& a = ArgTensor(info, 0);
    if (info.Length() < 2 || info[1].IsUndefined()) return Wrap(info, a.mean());
    return Wrap(info, a.mean(ArgIntList(info, 1), OptBool(info, 2, false)));
  });
  FN("max", return Pair(info, torch::max(ArgTensor(info, 0), ArgInt(info, 1), OptBool(info, 2, false))););
  FN("min", return Pair(info, torch::min(ArgTensor(info, 0), ArgInt(info, 1), OptBool(info, 2, false))););
  UNARY("maxAll", a.max());
  UNARY("minAll", a.min());
  FN("argmax", return Wrap(info, torch::argmax(ArgTensor(info, 0), ArgInt(info, 1), OptBool(info, 2, false))););
  FN("logsumexp", return Wrap(info, torch::logsumexp(ArgTensor(info, 0), ArgIntList(info, 1), OptBool(info, 2, false))););
  FN("norm", return Wrap(info, at::norm(ArgTensor(info, 0), ArgDouble(info, 1), ArgIntList(info, 2), OptBool(info, 3, false))););
  FN("var", return Wrap(info, torch::var(ArgTensor(info, 0), ArgIntList(info, 1), /*unbiased=*/OptBool(info, 2, false),
                                         OptBool(info, 3, false))););

  // Neural-network functions
  FN("softmax", return Wrap(info, torch::softmax(ArgTensor(info, 0), ArgInt(info, 1))););
  FN("logSoftmax", return Wrap(info, torch::log_softmax(ArgTensor(info, 0), ArgInt(info, 1))););
  FN("layerNorm", return Wrap(info, at::layer_norm(ArgTensor(info, 0), ArgIntList(info, 1), ArgOptTensor(info, 2),
                                                   ArgOptTensor(info, 3), ArgDouble(info, 4))););
  FN("embedding", {
    int64_t paddingIdx = IsNumberArg(info, 2) ? ArgInt(info, 2) : -1;
    return Wrap(info, at::embedding(ArgTensor(info, 0), ArgTensor(info, 1), paddingIdx));
  });
  FN("dropout", return Wrap(info, torch::dropout(ArgTensor(info, 0), ArgDouble(info, 1), ArgBool(info, 2))););
  FN("crossEntropy", {
    // (logits, target, reduction, ignoreIndex, labelSmoothing)
    int64_t ignoreIndex = IsNumberArg(info, 3) ? ArgInt(info, 3) : -100;
    double smoothing = IsNumberArg(info, 4) ? ArgDouble(info, 4) : 0.0;
    return Wrap(info, at::cross_entropy_loss(ArgTensor(info, 0), ArgTensor(info, 1), c10::nullopt,
                                             ParseReduction(info, 2), ignoreIndex, smoothing));
  });
  FN("nllLoss", return Wrap(info, at::nll_loss(ArgTensor(info, 0), ArgTensor(info, 1), c10::nullopt,
                                               ParseReduction(info, 2), -100)););
  FN("normalize", {
    // Same as torch.nn.functional.normalize: x / max(||x||_p, eps) along dim.
    torch::Tensor& a = ArgTensor(info, 0);
    double p = IsNumberArg(info, 1) ? ArgDouble(info, 1) : 2.0;
    int64_t dim = IsNumberArg(info, 2) ? ArgInt(info, 2) : 1;
    double eps = IsNumberArg(info, 3) ? ArgDouble(info, 3) : 1e-12;
    return Wrap(info, a / at::norm(a, p, {dim}, true).clamp_min(eps).expand_as(a));
  });
  FN("cosineSimilarity", return Wrap(info, torch::cosine_similarity(ArgTensor(info, 0), ArgTensor(info, 1),
                                                                    IsNumberArg(info, 2) ? ArgInt(info, 2) : 1,
                                                                    IsNumberArg(info, 3) ? ArgDouble(info, 3) : 1e-8)););

  // In-place initialisers and copies (used on parameters under no-grad)
  FN("copy_", {
    ArgTensor(info, 0).copy_(ArgTensor(info, 1));
    return info.Env().Undefined();
  });
  FN("normal_", {
    ArgTensor(info, 0).normal_(ArgDouble(info, 1), ArgDouble(info, 2));
    return info.Env().Undefined();
  });
  FN("uniform_", {
    ArgTensor(info, 0).uniform_(ArgDouble(info, 1), ArgDouble(info, 2));
    return info.Env().Undefined();
  });
  FN("fill_", {
    ArgTensor(info, 0).fill_(ArgDouble(info, 1));
    return info.Env().Undefined();
  });
}

}  // namespace deepcut
