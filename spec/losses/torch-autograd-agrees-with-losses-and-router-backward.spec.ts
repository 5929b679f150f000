// Cross-check against a second framework: PyTorch autograd in float64 (the upstream formulas written as
// the libraries write them: HF Mixtral one_hot/mean, Megatron switch_load_balancing_loss_func with
// normalised sigmoid scores, DeepSpeed me·ce, z-loss, the DeepSeek-V3 and gpt-oss routers) gives the same
// losses (relative 1e-12) and gradients (2^-22 relative + 1e-12 of the largest, our float32 rounding).
// Skipped, with the reason printed, when /usr/bin/python3 has no torch (CI has none): the same values
// are asserted without torch by the finite-difference and published-value specs of this folder.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadBalancingLoss, routerBackward, routerZLoss, tensor, type RouterConfig } from '../../src/index.js';
import { makeRouting } from './loss-cases.js';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const hasTorch = probe.status === 0;
if (!hasTorch) console.warn(`torch cross-check skipped: ${PYTHON} cannot import torch (${(probe.stderr || String(probe.error)).trim().split('\n').pop()})`);

const SCRIPT = String.raw`
import json, sys, torch
F = torch.nn.functional
def check(d):
    T, N, k = d['T'], d['N'], d['k']
    idx = torch.tensor(d['indices'], dtype=torch.long).view(T, k)
    def leaf(): return torch.tensor(d['logits'], dtype=torch.float64).view(T, N).requires_grad_(True)
    out = {}
    def record(name, z, loss):
        loss.backward(); out[name] = {'loss': loss.item(), 'grad': z.grad.view(-1).tolist()}
    z = leaf(); w = F.softmax(z, dim=-1)   # HF load_balancing_loss_func (no mask)
    mask = F.one_hot(idx, N).double()
    record('hf-mixtral', z, torch.sum(torch.mean(mask, dim=0) * torch.mean(w, dim=0).unsqueeze(0)) * N)
    z = leaf(); s = torch.sigmoid(z); s = s / (s.sum(-1, keepdim=True) + 1e-20)   # Megatron sigmoid scores
    tpe = torch.zeros(T, N, dtype=torch.float64).scatter(1, idx, 1.0).sum(0)
    record('megatron-sigmoid', z, torch.sum(s.sum(0) * tpe) * (N / (k * T * T)))
    z = leaf(); g = F.softmax(z, dim=1)   # DeepSpeed top2gating l_aux
    record('deepspeed', z, torch.mean(g.mean(0) * F.one_hot(idx[:, 0], N).double().mean(0)) * N * N)
    z = leaf(); record('z-loss', z, torch.mean(torch.logsumexp(z, -1) ** 2))
    G = torch.tensor(d['grad'], dtype=torch.float64).view(T, k)
    z = leaf(); s = torch.sigmoid(z).gather(1, idx)   # DeepSeek-V3 router weights
    record('router-deepseek-v3', z, torch.sum(G * (s / (s.sum(-1, keepdim=True) + 1e-20) * 2.5)))
    z = leaf(); record('router-gpt-oss', z, torch.sum(G * F.softmax(z.gather(1, idx), dim=-1)))
    return out
print(json.dumps([check(d) for d in json.load(sys.stdin)]))
`;

describe('torch autograd cross-check', () => {
  it.skipIf(!hasTorch)('losses and router gradients equal torch float64 autograd', () => {
    const cases = [1, 2, 3].map((seed) => {
      const { logits, indices } = makeRouting({ groups: 1, perGroup: 12, devices: 1, perDevice: 6, k: 2, seed, scale: 2 });
      const grad = Array.from(Float32Array.from({ length: 12 * 2 }, (_, i) => Math.sin(i + seed))); // float32 values, as the tensor holds them
      return { logits, indices, grad };
    });
    const payload = cases.map(({ logits, indices, grad }) => ({ T: 12, N: 6, k: 2, logits: Array.from(logits.data), indices: Array.from(indices.data), grad }));
    const run = spawnSync(PYTHON, ['-c', SCRIPT], { input: JSON.stringify(payload), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const allTorchResults = JSON.parse(run.stdout) as Record<string, { loss: number; grad: number[] }>[];
    for (const [caseIndex, { logits, indices, grad }] of cases.entries()) {
      const torchResults = allTorchResults[caseIndex];
      const G = tensor(grad, [12, 2]);
      const ours: Record<string, { loss: number; grad: Float32Array }> = {};
      const put = (name: string, r: { loss: number; gradLogits: { data: Float32Array } }) => (ours[name] = { loss: r.loss, grad: r.gradLogits.data });
      put('hf-mixtral', loadBalancingLoss(logits, indices, { variant: 'hf-mixtral' }));
      put('megatron-sigmoid', loadBalancingLoss(logits, indices, { variant: 'megatron', scoring: 'sigmoid' }));
      put('deepspeed', loadBalancingLoss(logits, indices, { variant: 'deepspeed' }));
      put('z-loss', routerZLoss(logits));
      const v3: RouterConfig = { topK: 2, scoring: 'sigmoid', normalization: 'sum', normalizationEpsilon: 1e-20, routedScalingFactor: 2.5 };
      ours['router-deepseek-v3'] = { loss: NaN, grad: routerBackward(logits, indices, G, v3).gradLogits.data };
      ours['router-gpt-oss'] = { loss: NaN, grad: routerBackward(logits, indices, G, { topK: 2, normalization: 'softmax-topk' }).gradLogits.data };
      for (const [name, mine] of Object.entries(ours)) {
        const theirs = torchResults[name];
        if (!Number.isNaN(mine.loss)) expect(Math.abs(mine.loss - theirs.loss), name).toBeLessThanOrEqual(1e-12 * Math.abs(theirs.loss));
        const scale = Math.max(...theirs.grad.map(Math.abs));
        mine.grad.forEach((g, i) => expect(Math.abs(g - theirs.grad[i]), `${name}[${i}]`).toBeLessThanOrEqual(2 ** -22 * Math.abs(theirs.grad[i]) + 1e-12 * scale));
      }
    }
  });
});
