// A c10d process group for data-parallel training: libtorch's own TCPStore rendezvous (rank 0
// hosts it) and ProcessGroupGloo collectives on CPU tensors. Collectives run on flat buckets
// of a few MB (fewer, larger messages than one call per tensor), in place on the caller's
// tensors. Every blocking call is bounded by the group's timeout, and every libtorch/Gloo error
// becomes a JS Error naming the rank, the master and the timeout.
//
// Built only where the Gloo headers are there (Debian: libgloo-dev); elsewhere the binding
// exists and says what is missing.
#include "common.h"

#if __has_include(<gloo/algorithm.h>) && __has_include(<torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>)
#define DEEPCUT_WITH_GLOO 1
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO  // the header's guard; libtorch itself is built with it
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <thread>

namespace deepcut {

#ifdef DEEPCUT_WITH_GLOO
namespace {

std::string Seconds(std::chrono::milliseconds ms) {
  std::ostringstream s;
  s << static_cast<double>(ms.count()) / 1000.0 << " s";
  return s.str();
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// Where this rank's Gloo transport listens. GLOO_SOCKET_IFNAME (PyTorch's variable) names an
// interface; a loopback master means every rank is on this machine; otherwise the address the
// machine's hostname resolves to (Gloo's default, as in PyTorch).
std::shared_ptr<::gloo::transport::Device> TransportDevice(const std::string& host) {
  const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname != nullptr && *ifname != '\0') return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (IsLoopback(host)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// Consecutive tensors of one dtype, at most `bucketBytes` together (a larger tensor alone).
std::vector<std::vector<size_t>> Buckets(const std::vector<torch::Tensor>& ts, int64_t bucketBytes) {
  std::vector<std::vector<size_t>> out;
  int64_t bytes = 0;
  for (size_t i = 0; i < ts.size(); i++) {
    int64_t b = ts[i].numel() * static_cast<int64_t>(ts[i].element_size());
    bool fresh = out.empty() || bytes + b > bucketBytes || ts[out.back().front()].scalar_type() != ts[i].scalar_type();
    if (fresh) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(i);
    bytes += b;
  }
  return out;
}

class ProcessGroupHandle : public Napi::ObjectWrap<ProcessGroupHandle> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "ProcessGroupHandle",
                       {InstanceMethod("allReduce", &ProcessGroupHandle::AllReduce),
                        InstanceMethod("allReduceGrads", &ProcessGroupHandle::AllReduceGrads),
                        InstanceMethod("broadcast", &ProcessGroupHandle::Broadcast),
                        InstanceMethod("barrier", &ProcessGroupHandle::Barrier),
                        InstanceMethod("destroy", &ProcessGroupHandle::Destroy),
                        InstanceAccessor("rank", &ProcessGroupHandle::Rank, nullptr),
                        InstanceAccessor("worldSize", &ProcessGroupHandle::WorldSize, nullptr),
                        InstanceAccessor("destroyed", &ProcessGroupHandle::Destroyed, nullptr)});
  }

  // new ProcessGroupHandle(host, port, rank, worldSize, timeoutMs): blocks until every rank
  // has joined (or the timeout passes).
  explicit ProcessGroupHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessGroupHandle>(info) {
    host_ = ArgString(info, 0);
    port_ = ArgInt(info, 1);
    rank_ = ArgInt(info, 2);
    world_ = ArgInt(info, 3);
    timeout_ = std::chrono::milliseconds(ArgInt(info, 4));
    if (world_ < 1) throw Napi::RangeError::New(info.Env(), "world size must be at least 1");
    if (rank_ < 0 || rank_ >= world_) throw Napi::RangeError::New(info.Env(), "rank " + std::to_string(rank_) + " is outside 0.." + std::to_string(world_ - 1));
    if (port_ < 1 || port_ > 65535) throw Napi::RangeError::New(info.Env(), "master port " + std::to_string(port_) + " is outside 1..65535");
    if (timeout_.count() < 1) throw Napi::RangeError::New(info.Env(), "timeout must be positive");
    std::string stage = rank_ == 0 ? "cannot host the rendezvous store on port " + std::to_string(port_)
                                   : "cannot reach the master " + Master();
    try {
      c10d::TCPStoreOptions opts;
      opts.port = static_cast<std::uint16_t>(port_);
      opts.isServer = rank_ == 0;
      opts.numWorkers = static_cast<std::size_t>(world_);
      opts.waitWorkers = true;
      opts.timeout = timeout_;
      store_ = ConnectStore(opts);
      stage = "the ranks did not all join through " + Master();
      auto pgOpts = c10d::ProcessGroupGloo::Options::create(timeout_);
      pgOpts->devices.push_back(TransportDevice(host_));
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, static_cast<int>(rank_), static_cast<int>(world_), pgOpts);
    } catch (const c10::Error& e) {
      store_.reset();
      throw Napi::Error::New(info.Env(), Context(stage) + ": " + e.what_without_backtrace());
    } catch (const std::exception& e) {
      store_.reset();
      throw Napi::Error::New(info.Env(), Context(stage) + ": " + e.what());
    }
  }

  ~ProcessGroupHandle() override { Release(); }

 private:
  // Rank 0 hosts the store and waits for the others; the others retry connecting until the
  // timeout has passed (the master may start after them; libtorch's own connect loop can give
  // up early for timeouts of a few seconds).
  c10::intrusive_ptr<c10d::TCPStore> ConnectStore(c10d::TCPStoreOptions opts) {
    if (opts.isServer) return c10::make_intrusive<c10d::TCPStore>(host_, opts);
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      opts.timeout = std::max(left, std::chrono::milliseconds(1000));
      try {
        return c10::make_intrusive<c10d::TCPStore>(host_, opts);
      } catch (const std::exception&) {
        if (std::chrono::steady_clock::now() + std::chrono::milliseconds(200) >= deadline) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  }

  std::string Master() const { return host_ + ":" + std::to_string(port_); }

  std::string Context(const std::string& what) const {
    return "rank " + std::to_string(rank_) + " of " + std::to_string(world_) + ": " + what + " (timeout " + Seconds(timeout_) + ")";
  }

  void Release() {
    group_.reset();  // joins Gloo's worker threads
    store_.reset();
  }

  c10d::ProcessGroupGloo& Group(Napi::Env env) {
    if (!group_) throw Napi::Error::New(env, "the process group was destroyed");
    return *group_;
  }

  // Runs a collective; a failure (a peer gone, the timeout passed) becomes a JS Error.
  template <typename F>
  Napi::Value Collective(const Napi::CallbackInfo& info, const char* what, F&& body) {
    Group(info.Env());
    try {
      body();
      return info.Env().Undefined();
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      std::string msg = dynamic_cast<const c10::Error*>(&e) ? static_cast<const c10::Error&>(e).what_without_backtrace() : e.what();
      throw Napi::Error::New(info.Env(), Context(std::string(what) + " failed (another rank stopped, lost its connection or did not arrive in time)") + ": " + msg);
    }
  }

  void Wait(const c10::intrusive_ptr<c10d::Work>& work) {
    if (!work->wait(timeout_)) throw std::runtime_error("timed out after " + Seconds(timeout_));
  }

  // Sums (or broadcasts from `root`) `ts` in place, bucket by bucket: every bucket's collective
  // is started before the first is waited on, so Gloo's threads overlap them.
  void Bucketed(std::vector<torch::Tensor>& ts, bool broadcast, int64_t root, int64_t bucketBytes) {
    torch::NoGradGuard noGrad;  // parameters are written in place
    for (auto& t : ts) {
      if (!t.device().is_cpu()) throw std::runtime_error("the Gloo process group takes CPU tensors only, got one on " + t.device().str());
    }
    auto buckets = Buckets(ts, bucketBytes);
    std::vector<torch::Tensor> flats;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (const auto& bucket : buckets) {
      torch::Tensor flat;
      if (bucket.size() == 1 && ts[bucket[0]].is_contiguous()) {
        flat = ts[bucket[0]].view({-1});  // reduced in place, no copy
      } else {
        std::vector<torch::Tensor> parts;
        for (size_t i : bucket) parts.push_back(ts[i].reshape({-1}));
        flat = torch::cat(parts);
      }
      std::vector<torch::Tensor> io{flat};
      if (broadcast) {
        c10d::BroadcastOptions o;
        o.rootRank = root;
        works.push_back(group_->broadcast(io, o));
      } else {
        c10d::AllreduceOptions o;
        o.reduceOp = c10d::ReduceOp::SUM;
        works.push_back(group_->allreduce(io, o));
      }
      flats.push_back(flat);
    }
    for (size_t b = 0; b < buckets.size(); b++) {
      Wait(works[b]);
      const auto& bucket = buckets[b];
      if (bucket.size() == 1 && ts[bucket[0]].is_contiguous()) continue;
      int64_t offset = 0;
      for (size_t i : bucket) {
        int64_t n = ts[i].numel();
        ts[i].copy_(flats[b].narrow(0, offset, n).view(ts[i].sizes()));
        offset += n;
      }
    }
  }

  // allReduce(tensors, op 'sum' | 'avg', bucketBytes)
  Napi::Value AllReduce(const Napi::CallbackInfo& info) {
    std::vector<torch::Tensor> ts = ArgTensorList(info, 0);
    std::string op = ArgString(info, 1);
    if (op != "sum" && op != "avg") throw Napi::TypeError::New(info.Env(), "allReduce: op must be 'sum' or 'avg', got '" + op + "'");
    int64_t bucketBytes = ArgInt(info, 2);
    return Collective(info, "all-reduce", [&] {
      Bucketed(ts, false, 0, bucketBytes);
      if (op == "avg") {
        // Gloo has no AVG: sum, then divide (the same division on every rank).
        torch::NoGradGuard noGrad;
        for (auto& t : ts) t.div_(static_cast<double>(world_));
      }
    });
  }

  // allReduceGrads(params, extras, bucketBytes): sums every parameter's gradient and the
  // `extras` tensors in place. A gradient one rank lacks (it had no rows, or the parameter was
  // not reached) counts as zeros; one that no rank has stays undefined, so the optimiser skips
  // that parameter exactly as a single process would.
  Napi::Value AllReduceGrads(const Napi::CallbackInfo& info) {
    std::vector<torch::Tensor> params = ArgTensorList(info, 0);
    std::vector<torch::Tensor> extras = ArgTensorList(info, 1);
    int64_t bucketBytes = ArgInt(info, 2);
    return Collective(info, "gradient all-reduce", [&] {
      torch::NoGradGuard noGrad;
      std::vector<torch::Tensor> ts;
      torch::Tensor present = torch::zeros({static_cast<int64_t>(params.size())}, torch::kFloat32);
      auto flag = present.accessor<float, 1>();
      for (size_t i = 0; i < params.size(); i++) {
        torch::Tensor g = params[i].grad();
        if (g.defined()) {
          flag[static_cast<int64_t>(i)] = 1.0f;
        } else {
          g = torch::zeros_like(params[i], torch::MemoryFormat::Contiguous);
        }
        ts.push_back(g);
      }
      for (auto& e : extras) ts.push_back(e);
      ts.push_back(present);
      Bucketed(ts, false, 0, bucketBytes);
      auto seen = present.accessor<float, 1>();
      for (size_t i = 0; i < params.size(); i++) {
        if (seen[static_cast<int64_t>(i)] > 0.0f && !params[i].grad().defined()) params[i].mutable_grad() = ts[i];
      }
    });
  }

  // broadcast(tensors, root, bucketBytes): every rank's tensors become root's.
  Napi::Value Broadcast(const Napi::CallbackInfo& info) {
    std::vector<torch::Tensor> ts = ArgTensorList(info, 0);
    int64_t root = ArgInt(info, 1);
    int64_t bucketBytes = ArgInt(info, 2);
    if (root < 0 || root >= world_) throw Napi::RangeError::New(info.Env(), "broadcast: root rank " + std::to_string(root) + " is outside 0.." + std::to_string(world_ - 1));
    return Collective(info, "broadcast", [&] { Bucketed(ts, true, root, bucketBytes); });
  }

  Napi::Value Barrier(const Napi::CallbackInfo& info) {
    return Collective(info, "barrier", [&] { Wait(group_->barrier(c10d::BarrierOptions())); });
  }

  Napi::Value Destroy(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  Napi::Value Rank(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(rank_)); }
  Napi::Value WorldSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(world_)); }
  Napi::Value Destroyed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !group_); }

  std::string host_;
  int64_t port_ = 0, rank_ = 0, world_ = 1;
  std::chrono::milliseconds timeout_{0};
  c10::intrusive_ptr<c10d::TCPStore> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};

}  // namespace

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("ProcessGroupHandle", ProcessGroupHandle::Init(env));
  exports.Set("glooAvailable", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), true); }));
}

#else  // no Gloo headers at build time

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("ProcessGroupHandle", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    throw Napi::Error::New(info.Env(), "this deepcut addon was built without Gloo (no gloo/ or c10d headers at build time): install libgloo-dev and rebuild (bash scripts/setup.sh)");
  }));
  exports.Set("glooAvailable", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), false); }));
}

#endif

}  // namespace deepcut
