// Cross-check against a second framework: vmoe's SoftRouter (vmoe/projects/soft_moe/router.py: its
// `normalize` with eps 1e-6 inside the rsqrt, mu normalised over axis 0, the scale multiplied into
// whichever of inputs and mu has fewer elements, logits einsum 'gmd,dnp->gmnp', dispatch softmax over
// axis 1, combine softmax over axes (2, 3)) and vmoe/moe.py's EinsumDispatcher ('GSEC,GS...->GEC...' to
// dispatch, 'GSEC,GEC...->GS...' to combine), transcribed literally into float64 PyTorch with ReLU FFN
// experts, give our dispatch and combine weights to their float32 rounding and our output to the
// float32 rounding of its steps; the paper's plain form likewise. Skipped, with the reason printed,
// when /usr/bin/python3 has no torch; the naive float64 spec of this folder checks the same formulas.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { initMoEParams, moeForward, tensor, type MoEConfig } from '../../src/index.js';
import { expectClose, maxAbs, randomInput } from '../helpers.js';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const hasTorch = probe.status === 0;
if (!hasTorch) console.warn(`torch cross-check skipped: ${PYTHON} cannot import torch (${(probe.stderr || String(probe.error)).trim().split('\n').pop()})`);

const SCRIPT = String.raw`
import json, sys, torch
torch.set_default_dtype(torch.float64)

def normalize(x, axis=-1, eps=1e-6):   # vmoe/projects/soft_moe/router.py normalize
    m = torch.rsqrt(torch.square(x).sum(dim=axis, keepdim=True) + eps)
    return x * m

def soft_router(inputs, mu, scale, normalized):   # SoftRouter.__call__ without noise
    if normalized:
        inputs = normalize(inputs, axis=-1)
        mu = normalize(mu, axis=0)
        if inputs.numel() < mu.numel():
            inputs = inputs * scale
        else:
            mu = mu * scale
    logits = torch.einsum('gmd,dnp->gmnp', inputs, mu)
    dispatch_weights = torch.softmax(logits, dim=1)
    g, m, n, p = logits.shape
    combine_weights = torch.softmax(logits.reshape(g, m, n * p), dim=-1).reshape(g, m, n, p)
    return logits, dispatch_weights, combine_weights

def run(d):
    T, H, E, S, I = d['T'], d['H'], d['E'], d['S'], d['I']
    x = torch.tensor(d['x']).view(1, T, H)
    mu = torch.tensor(d['mu']).view(H, E, S)
    logits, D, C = soft_router(x, mu, d['scale'], d['normalized'])
    slot_inputs = torch.einsum('GSEC,GSd->GECd', D, x)          # EinsumDispatcher.dispatch
    outs = []
    for e in range(E):                                          # each expert on its S slots (ReLU FFN: wo·relu(wi·v))
        wi = torch.tensor(d['wi'][e]).view(I, H); wo = torch.tensor(d['wo'][e]).view(H, I)
        outs.append(torch.relu(slot_inputs[0, e] @ wi.T) @ wo.T)
    slot_outputs = torch.stack(outs)[None]
    y = torch.einsum('GSEC,GECd->GSd', C, slot_outputs)         # EinsumDispatcher.combine
    return {'logits': logits.reshape(-1).tolist(), 'dispatch': D.reshape(-1).tolist(), 'combine': C.reshape(-1).tolist(), 'y': y.reshape(-1).tolist()}

print(json.dumps([run(d) for d in json.load(sys.stdin)]))
`;

const CASES = [
  { T: 6, H: 8, E: 3, S: 2, I: 5, seed: 1, logits: 'normalized', scale: 1 }, // T < E·S: the scale goes on the inputs
  { T: 12, H: 8, E: 2, S: 2, I: 5, seed: 2, logits: 'normalized', scale: 7.5 }, // T ≥ E·S: on mu
  { T: 5, H: 6, E: 4, S: 1, I: 3, seed: 3, logits: 'normalized', scale: 0.3 },
  { T: 7, H: 5, E: 2, S: 3, I: 4, seed: 4, logits: 'plain', scale: 1 },
] as const;

describe('Soft MoE against a torch transcription of vmoe', () => {
  it.skipIf(!hasTorch)('dispatch, combine and output equal vmoe SoftRouter + EinsumDispatcher in float64 torch', () => {
    const ours = CASES.map((c) => {
      const config: MoEConfig = { hiddenSize: c.H, numExperts: c.E, expertIntermediateSize: c.I, expertKind: 'relu', router: { softMoE: { slotsPerExpert: c.S, logits: c.logits } } };
      const params = initMoEParams(config, c.seed);
      if (c.logits === 'normalized') params['router.scale'] = tensor([c.scale], [1]);
      const x = randomInput(c.T, c.H, c.seed);
      return { x, params, out: moeForward(x, params, config) };
    });
    const payload = CASES.map((c, i) => ({
      T: c.T, H: c.H, E: c.E, S: c.S, I: c.I, scale: c.scale, normalized: c.logits === 'normalized',
      x: Array.from(ours[i].x.data), mu: Array.from(ours[i].params['router.mu'].data),
      wi: Array.from({ length: c.E }, (_, e) => Array.from(ours[i].params[`experts.expert_${e}.wi.weight`].data)),
      wo: Array.from({ length: c.E }, (_, e) => Array.from(ours[i].params[`experts.expert_${e}.wo.weight`].data)),
    }));
    const run = spawnSync(PYTHON, ['-c', SCRIPT], { input: JSON.stringify(payload), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const theirs = JSON.parse(run.stdout) as { logits: number[]; dispatch: number[]; combine: number[]; y: number[] }[];
    CASES.forEach((c, i) => {
      const { out } = ours[i];
      const logitScale = 1 + maxAbs(theirs[i].logits);
      expectClose(out.softMoE!.logits.data, theirs[i].logits, 4 * 2 ** -24 * logitScale);
      expectClose(out.softMoE!.dispatchWeights.data, theirs[i].dispatch, 8 * 2 ** -24 * logitScale);
      expectClose(out.softMoE!.combineWeights.data, theirs[i].combine, 8 * 2 ** -24 * logitScale);
      expectClose(out.output.data, theirs[i].y, 32 * 2 ** -24 * logitScale * Math.max(c.H, c.I, c.T) ** 0.5 * maxAbs(theirs[i].y));
    });
  });
});
