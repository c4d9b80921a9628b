// Optimizers over parameter groups: libtorch's own AdamW and SGD, so the update
// arithmetic is exactly PyTorch's. State round-trips through a byte buffer
// (libtorch's archive format) that TypeScript writes to disk atomically.
#include "common.h"

#include <memory>
#include <sstream>

namespace deepcut {

namespace {

double NumberField(const Napi::Object& obj, const char* key, double fallback) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(obj.Env(), std::string("optimizer option '") + key + "' must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool BoolField(const Napi::Object& obj, const char* key, bool fallback) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) throw Napi::TypeError::New(obj.Env(), std::string("optimizer option '") + key + "' must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::vector<torch::Tensor> GroupParams(Napi::Env env, const Napi::Object& group) {
  Napi::Value list = group.Get("params");
  if (!list.IsArray()) throw Napi::TypeError::New(env, "each parameter group needs a 'params' array of tensors");
  Napi::Array arr = list.As<Napi::Array>();
  std::vector<torch::Tensor> params;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!TensorHandle::IsHandle(v)) throw Napi::TypeError::New(env, "parameter group entry " + std::to_string(i) + " is not a tensor");
    params.push_back(TensorHandle::Unwrap(v.As<Napi::Object>())->tensor(env));
  }
  return params;
}

std::unique_ptr<torch::optim::OptimizerOptions> MakeOptions(const std::string& kind, const Napi::Object& o) {
  if (kind == "adamw") {
    auto opts = std::make_unique<torch::optim::AdamWOptions>(NumberField(o, "lr", 1e-3));
    opts->betas({NumberField(o, "beta1", 0.9), NumberField(o, "beta2", 0.999)});
    opts->eps(NumberField(o, "eps", 1e-8));
    opts->weight_decay(NumberField(o, "weightDecay", 0.01));
    return opts;
  }
  auto opts = std::make_unique<torch::optim::SGDOptions>(NumberField(o, "lr", 1e-2));
  opts->momentum(NumberField(o, "momentum", 0.0));
  opts->dampening(NumberField(o, "dampening", 0.0));
  opts->weight_decay(NumberField(o, "weightDecay", 0.0));
  opts->nesterov(BoolField(o, "nesterov", false));
  return opts;
}

// Per-group options override the defaults: copy the defaults object, then
// overlay the group's own fields (e.g. weightDecay: 0 for biases and norms).
Napi::Object Overlay(Napi::Env env, const Napi::Object& defaults, const Napi::Object& group) {
  Napi::Object merged = Napi::Object::New(env);
  Napi::Array keys = defaults.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); i++) merged.Set(keys.Get(i), defaults.Get(keys.Get(i)));
  keys = group.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); i++) {
    std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
    if (key != "params") merged.Set(key, group.Get(key));
  }
  return merged;
}

}  // namespace

class OptimizerHandle : public Napi::ObjectWrap<OptimizerHandle> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "OptimizerHandle",
                       {InstanceMethod("step", &OptimizerHandle::Step),
                        InstanceMethod("zeroGrad", &OptimizerHandle::ZeroGrad),
                        InstanceMethod("setLr", &OptimizerHandle::SetLr),
                        InstanceMethod("getLr", &OptimizerHandle::GetLr),
                        InstanceMethod("saveState", &OptimizerHandle::SaveState),
                        InstanceMethod("loadState", &OptimizerHandle::LoadState),
                        InstanceMethod("stateDevices", &OptimizerHandle::StateDevices)});
  }

  // new OptimizerHandle(kind: "adamw" | "sgd", groups: {params, ...overrides}[], defaults: {...})
  explicit OptimizerHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OptimizerHandle>(info) {
    Guard(info, [&]() -> Napi::Value {
      std::string kind = ArgString(info, 0);
      if (kind != "adamw" && kind != "sgd") throw Napi::TypeError::New(info.Env(), "unknown optimizer '" + kind + "' (expected adamw or sgd)");
      if (info.Length() < 3 || !info[1].IsArray() || !info[2].IsObject()) throw Napi::TypeError::New(info.Env(), "expected (kind, groups[], defaults{})");
      Napi::Array groups = info[1].As<Napi::Array>();
      Napi::Object defaults = info[2].As<Napi::Object>();
      std::vector<torch::optim::OptimizerParamGroup> paramGroups;
      for (uint32_t i = 0; i < groups.Length(); i++) {
        Napi::Object group = groups.Get(i).As<Napi::Object>();
        paramGroups.emplace_back(GroupParams(info.Env(), group), MakeOptions(kind, Overlay(info.Env(), defaults, group)));
      }
      if (kind == "adamw") {
        auto opts = static_cast<torch::optim::AdamWOptions&>(*MakeOptions(kind, defaults));
        optimizer_ = std::make_unique<torch::optim::AdamW>(std::move(paramGroups), opts);
      } else {
        auto opts = static_cast<torch::optim::SGDOptions&>(*MakeOptions(kind, defaults));
        optimizer_ = std::make_unique<torch::optim::SGD>(std::move(paramGroups), opts);
      }
      return info.Env().Undefined();
    });
  }

 private:
  Napi::Value Step(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      torch::NoGradGuard noGrad;
      optimizer_->step();
      return info.Env().Undefined();
    });
  }

  Napi::Value ZeroGrad(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      for (auto& group : optimizer_->param_groups())
        for (auto& p : group.params()) p.mutable_grad().reset();
      return info.Env().Undefined();
    });
  }

  Napi::Value SetLr(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      double lr = ArgDouble(info, 0);
      for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
      return info.Env().Undefined();
    });
  }

  Napi::Value GetLr(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      return Napi::Number::New(info.Env(), optimizer_->param_groups().at(0).options().get_lr());
    });
  }

  Napi::Value SaveState(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      torch::serialize::OutputArchive archive;
      optimizer_->save(archive);
      std::ostringstream out;
      archive.save_to(out);
      std::string bytes = out.str();
      return Napi::Buffer<char>::Copy(info.Env(), bytes.data(), bytes.size());
    });
  }

  Napi::Value LoadState(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      if (info.Length() < 1 || !info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "loadState expects a Uint8Array");
      Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
      const char* data = static_cast<const char*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
      torch::serialize::InputArchive archive;
      // State saved on one device resumes on the parameters' device (a CUDA run's checkpoint
      // loads on a CPU-only machine and the other way round).
      archive.load_from(data, arr.ByteLength(), ParamsDevice());
      // libtorch's load only overwrites the parameters the archive holds state for: state saved
      // before the first step (none) would leave the later moments and step counts in place, so a
      // rewind to step 0 would continue with them. Loading replaces the state, as in PyTorch.
      optimizer_->state().clear();
      optimizer_->load(archive);
      return info.Env().Undefined();
    });
  }

  // The devices of the state tensors (AdamW's moments, SGD's momentum), one entry per tensor:
  // lets tests check that the state lives where the parameters do.
  Napi::Value StateDevices(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      std::vector<std::string> devices;
      for (auto& entry : optimizer_->state()) {
        torch::optim::OptimizerParamState* state = entry.second.get();
        if (auto* adamw = dynamic_cast<torch::optim::AdamWParamState*>(state)) {
          for (const torch::Tensor* t : {&adamw->exp_avg(), &adamw->exp_avg_sq(), &adamw->max_exp_avg_sq()})
            if (t->defined()) devices.push_back(t->device().str());
        } else if (auto* sgd = dynamic_cast<torch::optim::SGDParamState*>(state)) {
          if (sgd->momentum_buffer().defined()) devices.push_back(sgd->momentum_buffer().device().str());
        }
      }
      Napi::Array out = Napi::Array::New(info.Env(), devices.size());
      for (size_t i = 0; i < devices.size(); i++) out.Set(static_cast<uint32_t>(i), devices[i]);
      return out;
    });
  }

  torch::Device ParamsDevice() const {
    for (const auto& group : optimizer_->param_groups())
      for (const auto& p : group.params()) return p.device();
    return torch::Device(torch::kCPU);
  }

  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

void RegisterOptimizers(Napi::Env env, Napi::Object exports) {
  exports.Set("OptimizerHandle", OptimizerHandle::Init(env));
}

}  // namespace deepcut
