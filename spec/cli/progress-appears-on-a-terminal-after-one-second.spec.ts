// Progress lines: nothing during the first second, then one rewritten status line on stderr per
// step, cleared at the end; never anything when stderr is not a terminal (pipes, CI).
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/main.js';
import { progressLine, reportReads } from '../../src/cli/progress.js';

function recorder(isTTY: boolean) {
  const lines: string[] = [];
  const io: CliIO = { stdout: () => {}, stderr: (t) => lines.push(t), isTTY };
  return { io, lines };
}

describe('progress', () => {
  it('stays quiet for a second, then shows each step, and clears its line', () => {
    let now = 0;
    const { io, lines } = recorder(true);
    const progress = progressLine(io, 'run', () => now);
    progress.step('reading inputs.x');
    expect(lines).toEqual([]);
    now = 2500;
    progress.step('reading params.experts.0.w1.weight');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\r\[2\.5 s\] run: reading params\.experts\.0\.w1\.weight/);
    progress.done();
    expect(lines[1]).toMatch(/^\r +\r$/);
  });

  it('writes nothing when stderr is not a terminal, and reportReads records what was read', () => {
    let now = 0;
    const { io, lines } = recorder(false);
    const progress = progressLine(io, 'verify', () => now);
    const used = new Set<string>();
    const tensors = reportReads({ a: 1, b: 2 } as Record<string, number>, 'params.', progress, used);
    now = 10_000;
    expect(tensors.a).toBe(1);
    progress.done();
    expect(lines).toEqual([]);
    expect([...used]).toEqual(['params.a']);
  });
});
