// An independent check of MLA against a second framework: a float64 PyTorch transcription of Hugging
// Face's `DeepseekV3Attention.forward` (modeling_deepseek_v3.py: q_a_proj → q_a_layernorm → q_b_proj,
// or one q_proj; kv_a_proj_with_mqa split into c_KV and k_rope; kv_a_layernorm → kv_b_proj split into
// k_nope and v; RoPE by `apply_rotary_pos_emb` (rotate_half) or, with `rope_interleave`,
// `apply_rotary_pos_emb_interleave`; scaling (qk_nope + qk_rope)^-0.5; causal softmax; o_proj), with
// DeepseekV3RMSNorm and DeepseekV3RotaryEmbedding's default inverse frequencies 1/θ^(2i/d_rope). YaRN is
// left out here: Hugging Face's YaRN formulas changed between releases (see the two named variants in
// src/attention/rope.ts), so a fixed transcription would pin one release.
// Bound: our float32 pipeline (float64 sums, one rounding per kernel, ~8 kernels deep, reductions ≤ 48)
// against float64: |ours − torch| ≤ 64·2^-24·max|torch| per output, i.e. 6 bits of float32 rounding.
// Both our forms ('naive' and 'absorbed') are held to it. Skipped, with the reason, without torch (CI);
// the form-against-form and factorised-MHA specs of this folder hold without it.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { attention, initAttentionParams, randomNormal, type MLAConfig, type RopeLayout } from '../../src/index.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!hasTorch) console.warn('MLA torch cross-check skipped: /usr/bin/python3 cannot import torch');

const SCRIPT = String.raw`
import json, sys, torch
def run(d):
    c = d['config']; p = {k: torch.tensor(v['data'], dtype=torch.float64).view(v['shape']) for k, v in d['params'].items()}
    T, H, n = d['T'], c['hiddenSize'], c['numHeads']
    nope, rope, vdim, rank = c['qkNopeHeadDim'], c['qkRopeHeadDim'], c['vHeadDim'], c['kvLoraRank']
    qk = nope + rope
    x = torch.tensor(d['x'], dtype=torch.float64).view(1, T, H)
    lin = lambda t, name: t @ p[name + '.weight'].T
    def rmsnorm(t, w, eps=1e-6):
        return w * (t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + eps))
    if c['qLoraRank'] is None: q = lin(x, 'q_proj')
    else: q = lin(rmsnorm(lin(x, 'q_a_proj'), p['q_a_layernorm.weight']), 'q_b_proj')
    q = q.view(1, T, n, qk).transpose(1, 2)
    q_pass, q_rot = torch.split(q, [nope, rope], dim=-1)
    ckv = lin(x, 'kv_a_proj_with_mqa')
    k_pass, k_rot = torch.split(ckv, [rank, rope], dim=-1)
    k_pass = lin(rmsnorm(k_pass, p['kv_a_layernorm.weight']), 'kv_b_proj').view(1, T, n, nope + vdim).transpose(1, 2)
    k_pass, v = torch.split(k_pass, [nope, vdim], dim=-1)
    k_rot = k_rot.view(1, 1, T, rope)
    inv_freq = 1.0 / (c['rope']['theta'] ** (torch.arange(0, rope, 2, dtype=torch.float64) / rope))
    freqs = torch.arange(T, dtype=torch.float64)[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, None], emb.sin()[None, None]
    def rotate_half(t):
        a, b = t[..., : t.shape[-1] // 2], t[..., t.shape[-1] // 2 :]
        return torch.cat((-b, a), dim=-1)
    if c['rope']['layout'] == 'hf-interleave':
        def deinterleave(t):
            b_, h_, s_, d_ = t.shape
            return t.view(b_, h_, s_, d_ // 2, 2).transpose(4, 3).reshape(b_, h_, s_, d_)
        q_rot, k_rot = deinterleave(q_rot), deinterleave(k_rot)
    q_rot = q_rot * cos + rotate_half(q_rot) * sin
    k_rot = k_rot * cos + rotate_half(k_rot) * sin
    k_rot = k_rot.expand(*k_pass.shape[:-1], -1)
    query = torch.cat((q_pass, q_rot), dim=-1)
    key = torch.cat((k_pass, k_rot), dim=-1)
    scores = (query @ key.transpose(2, 3)) * qk ** -0.5
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    probs = torch.softmax(scores.masked_fill(mask, float('-inf')), dim=-1)
    out = (probs @ v).transpose(1, 2).reshape(1, T, n * vdim)
    return {'y': lin(out, 'o_proj').view(-1).tolist(), 'p': probs.reshape(-1).tolist()}
print(json.dumps([run(d) for d in json.load(sys.stdin)]))
`;

const base = { kind: 'mla' as const, hiddenSize: 32, numHeads: 4, kvLoraRank: 16, qkNopeHeadDim: 8, qkRopeHeadDim: 4, vHeadDim: 6 };
const cases: { name: string; config: MLAConfig; seed: number }[] = [];
for (const layout of ['half', 'hf-interleave'] as RopeLayout[]) {
  cases.push({ name: `q_lora_rank 12, ${layout}`, config: { ...base, qLoraRank: 12, rope: { theta: 10000, layout } }, seed: 1 });
  cases.push({ name: `q_proj (V2-Lite), ${layout}`, config: { ...base, qLoraRank: null, rope: { theta: 10000, layout } }, seed: 2 });
}

describe('MLA against a torch transcription of Hugging Face DeepseekV3Attention', () => {
  it.skipIf(!hasTorch)('naive and absorbed forms equal the float64 reference within 6 bits of float32 rounding', () => {
    const T = 7;
    const inputs = cases.map((c) => ({ ...c, params: initAttentionParams(c.config, c.seed), x: randomNormal([T, c.config.hiddenSize], { seed: c.seed, name: 'inputs.x' }) }));
    const payload = inputs.map((c) => ({
      T, config: c.config, x: Array.from(c.x.data),
      params: Object.fromEntries(Object.entries(c.params).map(([name, t]) => [name, { data: Array.from(t.data), shape: t.shape }])),
    }));
    const run = spawnSync(PYTHON, ['-c', SCRIPT], { input: JSON.stringify(payload), encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(run.status, run.stderr).toBe(0);
    const reference = JSON.parse(run.stdout) as { y: number[]; p: number[] }[];
    inputs.forEach((c, i) => {
      const largest = Math.max(...reference[i].y.map(Math.abs));
      for (const form of ['naive', 'absorbed'] as const) {
        const ours = attention(c.x, c.params, c.config, { form });
        ours.output.data.forEach((v, j) => expect(Math.abs(v - reference[i].y[j]), `${c.name}, ${form}, y[${j}]`).toBeLessThanOrEqual(64 * 2 ** -24 * largest));
        ours.attentionWeights.data.forEach((v, j) => expect(Math.abs(v - reference[i].p[j]), `${c.name}, ${form}, p[${j}]`).toBeLessThanOrEqual(64 * 2 ** -24));
      }
    });
  });
});
