// Expert choice (Zhou et al. 2022): in every group, every expert takes exactly c distinct tokens of
// that group, and they are its top c by score under the tie rule (score descending, then the lower
// token index): no unchosen token scores higher than a chosen one, and an unchosen token that ties a
// chosen one has the higher index. The weights are the scores at the chosen tokens, every expert
// processes G·c tokens, experts per token count the rows a token appears in (0 … N, summing to G·N·c),
// and the margins are the distances the spec derives from the same column. Checked from these
// defining properties (no sort shared with the implementation), on every synchronous backend.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initMoEParams, type RouterParams } from '../../src/index.js';
import { entryPointsOn, SPEC_BACKENDS } from '../backends.js';
import { expertChoiceConfig, expertChoiceInput, expertChoiceShape } from './expert-choice-arbitraries.js';

describe.each(SPEC_BACKENDS)('expert-choice routing ($name backend)', ({ kernels }) => {
  const { route } = entryPointsOn(kernels);
  it('every expert takes exactly c tokens of each group: its top c under the tie rule', () => {
    fc.assert(
      fc.property(expertChoiceShape, (s) => {
        const config = expertChoiceConfig(s);
        const params = initMoEParams(config, s.seed);
        const routerParams: RouterParams = { weight: params['gate.weight'], ...(s.bias ? { bias: params['gate.bias'] } : {}) };
        const out = route(expertChoiceInput(s), routerParams, config.router);
        const choice = out.expertChoice!;
        const { groupSize: S, groups: G, numExperts: N, capacity: c } = s;
        const T = S * G;
        expect(choice.capacity).toBe(c);
        expect(choice.expertIndices.shape).toEqual([G * N, c]);
        expect(out.topkIndices.shape).toEqual([T, 0]); // no token chooses
        const score = (t: number, e: number) => out.scores.data[t * N + e];
        const appearances = new Array<number>(T).fill(0);
        for (let g = 0; g < G; g++) {
          for (let e = 0; e < N; e++) {
            const row = Array.from(choice.expertIndices.data.slice((g * N + e) * c, (g * N + e + 1) * c));
            expect(new Set(row).size).toBe(c);
            row.forEach((t, j) => {
              expect(t).toBeGreaterThanOrEqual(g * S);
              expect(t).toBeLessThan((g + 1) * S);
              expect(choice.expertWeights.data[(g * N + e) * c + j]).toBe(score(t, e));
              appearances[t]++;
              if (j > 0) {
                const previous = row[j - 1]; // best first: descending score, ties by lower index
                expect(score(previous, e) > score(t, e) || (score(previous, e) === score(t, e) && previous < t)).toBe(true);
              }
            });
            const left = Array.from({ length: S }, (_, i) => g * S + i).filter((t) => !row.includes(t));
            for (const u of left) {
              for (const t of row) expect(score(t, e) > score(u, e) || (score(t, e) === score(u, e) && t < u)).toBe(true);
            }
            // Margin: the c-th chosen score minus the best score left (+Infinity when nothing is left).
            const expected = left.length === 0 ? Infinity : score(row[c - 1], e) - Math.max(...left.map((u) => score(u, e)));
            expect(choice.expertMargins.data[g * N + e]).toBe(Math.fround(expected));
          }
        }
        expect(Array.from(choice.expertsPerToken.data)).toEqual(appearances);
        expect(appearances.every((n) => n >= 0 && n <= N)).toBe(true);
        expect(appearances.reduce((a, b) => a + b, 0)).toBe(G * N * c);
        expect(Array.from(choice.tokensPerExpert.data)).toEqual(new Array(N).fill(G * c));
      }),
      { numRuns: 150 },
    );
  });

  it('a token\'s margin is the smallest distance of any expert\'s decision about it from flipping', () => {
    fc.assert(
      fc.property(expertChoiceShape, (s) => {
        const config = expertChoiceConfig(s);
        const params = initMoEParams(config, s.seed);
        const out = route(expertChoiceInput(s), { weight: params['gate.weight'], ...(s.bias ? { bias: params['gate.bias'] } : {}) }, config.router);
        const choice = out.expertChoice!;
        const { groupSize: S, numExperts: N, capacity: c } = s;
        for (let t = 0; t < S * s.groups; t++) {
          const g = Math.floor(t / S);
          let expected = Infinity;
          for (let e = 0; e < N; e++) {
            if (c === S) continue;
            const row = Array.from(choice.expertIndices.data.slice((g * N + e) * c, (g * N + e + 1) * c));
            const column = (u: number) => out.scores.data[u * N + e];
            const bestLeft = Math.max(...Array.from({ length: S }, (_, i) => g * S + i).filter((u) => !row.includes(u)).map(column));
            expected = Math.min(expected, row.includes(t) ? column(t) - bestLeft : column(row[c - 1]) - column(t));
          }
          expect(out.margins.data[t]).toBe(Math.fround(expected));
        }
      }),
      { numRuns: 60 },
    );
  });
});
