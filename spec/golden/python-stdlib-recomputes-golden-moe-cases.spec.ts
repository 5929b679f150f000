// An implementation in another language, written from the formulas and sharing no code with ours,
// reads committed golden files with Python's standard library only (struct, json, math: no numpy,
// no torch) and recomputes the MoE layer in float64. The stored outputs must match within the
// tolerances stored in each file. This proves both the file format and the numbers outside this code.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const SCRIPT = String.raw`
import json, math, struct, sys

def read(path):
    data = open(path, 'rb').read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__')
    tensors = {}
    for name, e in header.items():
        begin, end = e['data_offsets']
        raw = data[8 + n + begin: 8 + n + end]
        fmt = {'F32': 'f', 'I32': 'i'}[e['dtype']]
        flat = list(struct.unpack('<%d%s' % (len(raw) // 4, fmt), raw))
        tensors[name] = (e['shape'], flat)
    return meta, tensors

def rows(t):
    shape, flat = t
    width = shape[-1]
    return [flat[i:i + width] for i in range(0, len(flat), width)]

def matvec(w, x):
    return [sum(a * b for a, b in zip(row, x)) for row in rows(w)]

def silu(v):
    return v / (1 + math.exp(-v))

def swiglu(p, prefix, names, x):
    g = matvec(p[prefix + names[0]], x)
    u = matvec(p[prefix + names[1]], x)
    return matvec(p[prefix + names[2]], [silu(a) * b for a, b in zip(g, u)])

def moe(meta, t):
    cfg = json.loads(meta['config'])['moe_oracle']
    p = {k[len('params.'):]: v for k, v in t.items() if k.startswith('params.')}
    xs = rows(t['inputs.x'])
    router = cfg['router']
    N, k = cfg['numExperts'], router['topK']
    mixtral = cfg.get('naming', 'mixtral') == 'mixtral'
    names = ['.w1.weight', '.w3.weight', '.w2.weight'] if mixtral else ['.gate_proj.weight', '.up_proj.weight', '.down_proj.weight']
    out = []
    for x in xs:
        logits = matvec(p['gate.weight'], x)
        if router.get('scoring') == 'sigmoid':
            scores = [1 / (1 + math.exp(-z)) for z in logits]
        else:
            m = max(logits)
            e = [math.exp(z - m) for z in logits]
            scores = [v / sum(e) for v in e]
        bias = p['gate.e_score_correction_bias'][1] if router.get('scoreCorrectionBias') else [0.0] * N
        chosen = sorted(range(N), key=lambda i: (-(scores[i] + bias[i]), i))[:k]
        w = [scores[i] for i in chosen]
        if router.get('normalization', 'sum') == 'sum':
            s = sum(w) + router.get('normalizationEpsilon', 0)
            w = [v / s for v in w]
        w = [v * router.get('routedScalingFactor', 1) for v in w]
        y = [0.0] * len(x)
        for weight, e in zip(w, chosen):
            for h, v in enumerate(swiglu(p, 'experts.%d' % e, names, x)):
                y[h] += weight * v
        if cfg.get('sharedExpertIntermediateSize', 0) > 0:
            for h, v in enumerate(swiglu(p, 'shared_experts', names, x)):
                y[h] += v
        out.extend(y)
    return out

report = {}
for path in sys.argv[1:]:
    meta, t = read(path)
    ours = t['outputs.y'][1]
    theirs = moe(meta, t)
    tol = json.loads(meta['tolerances'])['y']
    worst = max(abs(a - b) - (tol['atol'] + tol['rtol'] * abs(a)) for a, b in zip(ours, theirs))
    report[path] = {'elements': len(ours), 'worst_excess': worst, 'max_abs_diff': max(abs(a - b) for a, b in zip(ours, theirs))}
print(json.dumps(report))
`;

describe('golden MoE cases recomputed by an independent Python (stdlib) implementation', () => {
  it('match the stored outputs within the stored fp32 tolerances', () => {
    const files = ['golden/moe/mixtral-tiny.safetensors', 'golden/moe/deepseek-v3-tiny.safetensors', 'golden/moe/shared-expert-ungated.safetensors'];
    const report = JSON.parse(execFileSync('python3', ['-c', SCRIPT, ...files]).toString()) as Record<string, { elements: number; worst_excess: number; max_abs_diff: number }>;
    for (const file of files) {
      expect(report[file].elements).toBeGreaterThan(100);
      expect(report[file].worst_excess, `${file}: max |Δ| ${report[file].max_abs_diff}`).toBeLessThanOrEqual(0);
    }
  });
});
