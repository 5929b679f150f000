// README.md holds exactly the preset tables that src/params/preset-table.ts renders from the
// presets and the calculator, so the documented numbers cannot drift from the code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderPresetTable } from '../../src/params/index.js';
import { TABLE_END, TABLE_START } from '../../src/params/preset-table.js';

describe('README.md', () => {
  it('contains exactly the rendered preset tables', () => {
    const doc = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = doc.indexOf(TABLE_START);
    const end = doc.indexOf(TABLE_END);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    expect(doc.slice(start, end + TABLE_END.length)).toBe(renderPresetTable());
  });
});
