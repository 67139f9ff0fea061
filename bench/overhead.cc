// Bench-only reference for bench/overhead.ts: the same work as the TypeScript side, written
// directly against ATen/libtorch (no N-API, no boxing, no scopes). Compiled by overhead.ts with
// the addon's own include dirs, defines and libraries (native/find-libtorch.mjs).
//
// Usage: overhead <threads>
// Then a line protocol on stdin (one command a line), one result line each on stdout:
//   tiny <calls> <batches>   -> "tiny <ns/call of batch 1> <ns/call of batch 2> ..."
//   tinyboxed <calls> <batches> -> the same add through the dispatcher's boxed path (an IValue
//                                stack and callBoxed), as the addon calls every operator
//   train <warmup> <steps> [small]  -> "train <ms of step 1> <ms of step 2> ..."; with `small` the
//                                same network on a tiny input (2x3x2x4x4), where the step is all
//                                per-op overhead and next to no kernel time
//   rusage                   -> "rusage <minor page faults> <user ms> <system ms>" (cumulative)
//   quit
// The process stays alive between commands so that the TypeScript driver can alternate C++ and
// TypeScript measurements in rounds without paying process start-up and warm-up each time.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/csrc/autograd/autograd.h>

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double nsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
}

// (a) per-call cost of a tiny op: add of two 1-element tensors, result freed at once.
std::string tiny(long calls, int batches) {
  at::Tensor a = at::ones({1});
  at::Tensor b = at::ones({1});
  std::ostringstream out;
  out << "tiny";
  for (int k = 0; k < batches; ++k) {
    auto t0 = Clock::now();
    for (long i = 0; i < calls; ++i) {
      at::Tensor c = at::add(a, b);  // freed at the end of the iteration
    }
    out << ' ' << nsSince(t0) / static_cast<double>(calls);
  }
  return out.str();
}

// (a') the same add through the boxed dispatcher path the addon uses for every operator.
std::string tinyBoxed(long calls, int batches) {
  at::Tensor a = at::ones({1});
  at::Tensor b = at::ones({1});
  auto op = c10::Dispatcher::singleton().findSchemaOrThrow("aten::add", "Tensor");
  std::ostringstream out;
  out << "tinyboxed";
  for (int k = 0; k < batches; ++k) {
    auto t0 = Clock::now();
    for (long i = 0; i < calls; ++i) {
      torch::jit::Stack stack;
      stack.reserve(3);
      stack.emplace_back(a);
      stack.emplace_back(b);
      stack.emplace_back(at::Scalar(int64_t(1)));
      op.callBoxed(&stack);  // the result (stack[0]) is freed with the stack
    }
    out << ' ' << nsSince(t0) / static_cast<double>(calls);
  }
  return out.str();
}

std::string usageLine() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  auto ms = [](const timeval& tv) { return tv.tv_sec * 1e3 + tv.tv_usec / 1e3; };
  std::ostringstream out;
  out << "rusage " << ru.ru_minflt << ' ' << ms(ru.ru_utime) << ' ' << ms(ru.ru_stime);
  return out.str();
}

// (b) one training step of 4 x [conv3d 3x3x3 pad 1, batch norm (training), relu], global mean,
// sum as loss, backward, SGD update.
struct Net {
  std::vector<at::Tensor> convW, bnW, bnB, runMean, runVar;
  at::Tensor x;
  double lr = 1e-3;

  explicit Net(std::vector<int64_t> inputShape) {
    const int64_t channels[] = {3, 16, 16, 16, 16};
    for (int i = 0; i < 4; ++i) {
      int64_t cin = channels[i], cout = channels[i + 1];
      double std = std::sqrt(2.0 / static_cast<double>(cin * 27));
      convW.push_back((at::randn({cout, cin, 3, 3, 3}) * std).set_requires_grad(true));
      bnW.push_back(at::ones({cout}).set_requires_grad(true));
      bnB.push_back(at::zeros({cout}).set_requires_grad(true));
      runMean.push_back(at::zeros({cout}));
      runVar.push_back(at::ones({cout}));
    }
    x = at::randn(inputShape);
  }

  void step() {
    at::Tensor h = x;
    for (int i = 0; i < 4; ++i) {
      h = at::conv3d(h, convW[i], {}, /*stride=*/1, /*padding=*/1);
      h = at::batch_norm(h, bnW[i], bnB[i], runMean[i], runVar[i], /*training=*/true, /*momentum=*/0.1,
                         /*eps=*/1e-5, /*cudnn_enabled=*/true);
      h = at::relu(h);
    }
    // Global mean over (T, H, W) as a flatten + one-dim mean: the TS side cannot pass several
    // dims to mean (see README), and both sides must run the same ops.
    at::Tensor loss = h.flatten(2).mean(2).sum();
    torch::autograd::backward({loss});
    at::NoGradGuard noGrad;
    for (auto* group : {&convW, &bnW, &bnB}) {
      for (auto& p : *group) {
        p.sub_(p.grad(), lr);
        p.mutable_grad().reset();
      }
    }
  }
};

std::string train(Net& net, int warmup, int steps) {
  for (int i = 0; i < warmup; ++i) net.step();
  std::ostringstream out;
  out << "train";
  for (int i = 0; i < steps; ++i) {
    auto t0 = Clock::now();
    net.step();
    out << ' ' << nsSince(t0) / 1e6;
  }
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: overhead <threads>\n");
    return 2;
  }
  int threads = std::atoi(argv[1]);
  at::set_num_threads(threads);
  at::manual_seed(0);
  Net net({4, 3, 8, 56, 56});
  Net small({2, 3, 2, 4, 4});
  std::cout << "ready threads=" << at::get_num_threads() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    try {
      if (cmd == "tiny") {
        long calls = 0;
        int batches = 1;
        in >> calls >> batches;
        std::cout << tiny(calls, batches) << std::endl;
      } else if (cmd == "tinyboxed") {
        long calls = 0;
        int batches = 1;
        in >> calls >> batches;
        std::cout << tinyBoxed(calls, batches) << std::endl;
      } else if (cmd == "rusage") {
        std::cout << usageLine() << std::endl;
      } else if (cmd == "train") {
        int warmup = 0, steps = 1;
        std::string which;
        in >> warmup >> steps >> which;
        std::cout << train(which == "small" ? small : net, warmup, steps) << std::endl;
      } else if (cmd == "quit") {
        break;
      } else {
        std::cout << "error unknown command " << cmd << std::endl;
      }
    } catch (const std::exception& e) {
      std::string msg = e.what();
      for (auto& c : msg) if (c == '\n') c = ' ';
      std::cout << "error " << msg << std::endl;
    }
  }
  return 0;
}
