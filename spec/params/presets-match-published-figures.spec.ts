// Every preset's computed total and active counts agree with the figures its authors published:
// within 1% under the publisher's counting conventions — or, where a figure keeps only two
// significant digits and the notes say so, the exact count rounds (or truncates, as declared) to
// the published digits. Where a figure needs a non-default convention, the notes name the option
// that selects it, and that option is what closes the gap (under the defaults it is beyond 1%).
import { describe, expect, it } from 'vitest';
import { countParameters, PRESETS, type CountOptions } from '../../src/params/index.js';
import { readHfModel } from '../../src/hf/index.js';

const TOLERANCE = 0.01;

/** The command-line flag of each non-default option, as the notes must write it. */
function flagsOf(options: CountOptions): string[] {
  const flags: string[] = [];
  if (options.activeEmbeddings !== undefined && options.activeEmbeddings !== 'both') flags.push(`--active-embeddings ${options.activeEmbeddings}`);
  if (options.mtp !== undefined && options.mtp !== 'exclude') flags.push(`--mtp ${options.mtp}`);
  if (options.tiedEmbeddings !== undefined) flags.push(options.tiedEmbeddings ? '--tied-embeddings' : '--untied-embeddings');
  return flags;
}

/** "2.4B" → [2.4e9, 1e8]: the value and the size of its last digit. */
function valueAndStep(text: string): [number, number] {
  const match = /^(\d+)(?:\.(\d+))?([MBT])$/.exec(text);
  expect(match, `published figure ${text}`).not.toBeNull();
  const scale = { M: 1e6, B: 1e9, T: 1e12 }[match![3] as 'M' | 'B' | 'T'];
  const decimals = match![2]?.length ?? 0;
  return [Math.round(Number(`${match![1]}.${match![2] ?? '0'}`) * scale), scale / 10 ** decimals];
}

const REQUIRED = [
  'mixtral-8x7b',
  'mixtral-8x22b',
  'deepseek-v2',
  'deepseek-v2-lite',
  'deepseek-v3',
  'deepseek-moe-16b',
  'qwen1.5-moe-a2.7b',
  'qwen3-30b-a3b',
  'dbrx',
  'olmoe-1b-7b',
  'llama-2-70b',
];

describe('presets', () => {
  it('cover the published models, each with a source, notes and a total and an active figure', () => {
    expect(PRESETS.map((preset) => preset.name)).toEqual(expect.arrayContaining(REQUIRED));
    for (const preset of PRESETS) {
      expect(preset.source).toMatch(/^https:\/\//);
      expect(preset.notes.length).toBeGreaterThan(0);
      expect(preset.published.map((figure) => figure.quantity)).toEqual(expect.arrayContaining(['total', 'active']));
      for (const figure of preset.published) expect(figure.source.length).toBeGreaterThan(0);
    }
  });

  for (const preset of PRESETS) {
    describe(preset.name, () => {
      const model = readHfModel(preset.config, preset.name);
      for (const figure of preset.published) {
        it(`computes ${figure.quantity} ${figure.text} (${figure.what})`, () => {
          const [value, step] = valueAndStep(figure.text);
          expect(figure.value).toBe(value);
          const computed = countParameters(model, figure.options)[figure.quantity];
          const gap = Math.abs(computed - value) / value;
          if (gap > TOLERANCE) {
            // Only rounding may explain it: declared, explained in the notes, and true.
            expect(figure.rounding, `${preset.name}: ${figure.text} is ${(100 * gap).toFixed(2)}% away`).toBeDefined();
            expect(preset.notes).toMatch(figure.rounding === 'down' ? /truncat/ : /round/);
            const steps = figure.rounding === 'down' ? Math.floor(computed / step) : Math.round(computed / step);
            expect(steps * step).toBeCloseTo(value, -3);
          }
          const flags = flagsOf(figure.options);
          if (flags.length > 0) {
            for (const flag of flags) expect(preset.notes).toContain(flag);
            const withDefaults = countParameters(model)[figure.quantity];
            expect(Math.abs(withDefaults - value) / value, 'the option is needed: the defaults miss by more than 1%').toBeGreaterThan(TOLERANCE);
          }
        });
      }
    });
  }
});
