// `moe-oracle route --aux-loss megatron --json` reports the Megatron loss of the routing it explains:
// recomputed here from the printed scores and chosen experts with the formula N/(k·T²)·Σ_e c_e·Σ_t p_te
// (printed scores are float32, so to 1e-6).
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

describe('route --aux-loss', () => {
  it('prints the Megatron aux loss of the explained routing', async () => {
    let out = '';
    const code = await main(['route', '--aux-loss', 'megatron', '--tokens', '6', '--experts', '5', '--k', '2', '--json'], { stdout: (s) => (out += s), stderr: () => {}, isTTY: false });
    expect(code).toBe(0);
    const report = JSON.parse(out) as { tokens: { scores: number[]; experts: number[] }[]; auxLoss: { variant: string; value: number } };
    const N = 5;
    const T = report.tokens.length;
    const counts = new Array(N).fill(0);
    const probability = new Array(N).fill(0);
    for (const token of report.tokens) {
      token.experts.forEach((e) => (counts[e] += 1));
      token.scores.forEach((p, e) => (probability[e] += p));
    }
    const expected = (N / (2 * T * T)) * counts.reduce((sum, c, e) => sum + c * probability[e], 0);
    expect(report.auxLoss.variant).toBe('megatron');
    expect(Math.abs(report.auxLoss.value - expected)).toBeLessThanOrEqual(1e-6);
    let errors = '';
    expect(await main(['route', '--aux-loss', 'bogus'], { stdout: () => {}, stderr: (s) => (errors += s), isTTY: false })).toBe(2);
    expect(errors).toContain('--aux-loss');
  });
});
