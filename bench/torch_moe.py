# The torch yardstick of bench/reference-speed.bench.ts: the same MoE layer forward in float32 on one
# thread (Mixtral's loop over experts: softmax router, top-k, renormalise, SwiGLU experts, index_add,
# optional shared expert). Values are random (speed only). Prints the median seconds of the runs.
# Usage: python3 bench/torch_moe.py T H I N k shared runs
import sys, time
import torch

T, H, I, N, k, S, runs = (int(a) for a in sys.argv[1:8])
torch.set_num_threads(1)
torch.manual_seed(0)
x = torch.randn(T, H)
gate = torch.randn(N, H) / H**0.5
experts = [(torch.randn(I, H) / H**0.5, torch.randn(I, H) / H**0.5, torch.randn(H, I) / I**0.5) for _ in range(N)]
shared = (torch.randn(S, H) / H**0.5, torch.randn(S, H) / H**0.5, torch.randn(H, S) / S**0.5) if S > 0 else None

def swiglu(h, w):
    return (torch.nn.functional.silu(h @ w[0].T) * (h @ w[1].T)) @ w[2].T

def forward():
    scores = torch.softmax(x @ gate.T, dim=-1)
    weights, chosen = torch.topk(scores, k, dim=-1)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    y = torch.zeros(T, H)
    for e in range(N):
        token, slot = torch.where(chosen == e)
        if token.numel() == 0:
            continue
        y.index_add_(0, token, swiglu(x[token], experts[e]) * weights[token, slot, None])
    if shared is not None:
        y += swiglu(x, shared)
    return y

with torch.no_grad():
    forward()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        forward()
        times.append(time.perf_counter() - start)
times.sort()
print(times[len(times) // 2])
