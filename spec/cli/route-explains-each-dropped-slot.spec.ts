// `moe-oracle route --capacity megatron:0.5` explains each dropped slot: one line per (token, choice)
// that lost its expert, naming the capacity and the slot's place in the expert's queue, and the JSON
// report's dropped slots are exactly those whose place is at or beyond the capacity, recomputed here
// from the printed choices in the choice-major order (every first choice before any second choice).
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const io = (sink: { out: string }) => ({ stdout: (s: string) => (sink.out += s), stderr: (s: string) => (sink.out += s), isTTY: false });

describe('route --capacity', () => {
  it('lists every dropped slot with its capacity and position', async () => {
    const args = ['route', '--tokens', '10', '--experts', '4', '--k', '2', '--capacity', 'megatron:0.5'];
    const json = { out: '' };
    expect(await main([...args, '--json'], io(json))).toBe(0);
    const report = JSON.parse(json.out) as { capacity: number; tokens: { experts: number[] }[]; dropped: { token: number; slot: number; expert: number; position: number }[] };
    expect(report.capacity).toBe(Math.ceil(((10 * 2) / 4) * 0.5)); // Megatron: ceil(T·k/E·cf) = 3
    const queue = new Map<number, number>();
    const expected: string[] = [];
    for (let j = 0; j < 2; j++) {
      report.tokens.forEach((token, t) => {
        const e = token.experts[j];
        const place = queue.get(e) ?? 0;
        queue.set(e, place + 1);
        if (place >= report.capacity) expected.push(`${t}/${j}/${e}/${place}`);
      });
    }
    expect(report.dropped.map((d) => `${d.token}/${d.slot}/${d.expert}/${d.position}`).sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(0);
    const text = { out: '' };
    expect(await main(args, io(text))).toBe(0);
    for (const d of report.dropped) expect(text.out).toContain(`token ${d.token} lost expert ${d.expert} (choice ${d.slot + 1}): over capacity 3 at position ${d.position}`);
    const bad = { out: '' };
    expect(await main([...args.slice(0, -1), 'megatron'], io(bad))).toBe(2);
    expect(bad.out).toContain('--capacity');
  });
});
