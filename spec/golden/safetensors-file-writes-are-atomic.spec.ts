// writeSafetensorsFile replaces a file atomically (temporary file in the same folder, then rename):
// after success the folder holds exactly the new file; after any failure the old file is intact and
// no temporary file is left. File errors are MoEOracleErrors naming the path.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSafetensorsFile, writeSafetensors, writeSafetensorsFile } from '../../src/golden/safetensors.js';
import { MoEOracleError } from '../../src/tensor/errors.js';
import { tensor, type Tensor } from '../../src/tensor/tensor.js';

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'moe-oracle-atomic-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

describe('writeSafetensorsFile', () => {
  it('writes the bytes of writeSafetensors and leaves no temporary file', () => {
    const path = join(folder, 'out.safetensors');
    const tensors = { y: tensor([1, 2, 3], [3]) };
    writeSafetensorsFile(path, tensors, { case: 'a' });
    expect(new Uint8Array(readFileSync(path))).toEqual(writeSafetensors(tensors, { case: 'a' }));
    expect(readdirSync(folder)).toEqual(['out.safetensors']);
    expect(Array.from(readSafetensorsFile(path).tensors.y.data)).toEqual([1, 2, 3]);
  });

  it('replaces an existing file', () => {
    const path = join(folder, 'out.safetensors');
    writeSafetensorsFile(path, { y: tensor([1], [1]) });
    writeSafetensorsFile(path, { y: tensor([2, 2], [2]) });
    expect(Array.from(readSafetensorsFile(path).tensors.y.data)).toEqual([2, 2]);
    expect(readdirSync(folder)).toEqual(['out.safetensors']);
  });

  it('leaves the old file untouched when the tensors are invalid', () => {
    const path = join(folder, 'out.safetensors');
    writeFileSync(path, 'old content');
    expect(() => writeSafetensorsFile(path, { y: [1, 2] as unknown as Tensor })).toThrow(MoEOracleError);
    expect(readFileSync(path, 'utf8')).toBe('old content');
    expect(readdirSync(folder)).toEqual(['out.safetensors']);
  });

  it('removes its temporary file when the final rename fails', () => {
    const path = join(folder, 'taken');
    mkdirSync(join(path, 'inside'), { recursive: true }); // a non-empty folder cannot be replaced by a file
    expect(() => writeSafetensorsFile(path, { y: tensor([1], [1]) })).toThrow(/path: expected a writable file location, got ".*taken" \(E[A-Z]+\)/);
    expect(readdirSync(folder)).toEqual(['taken']);
    expect(readdirSync(path)).toEqual(['inside']);
  });

  it('reports a missing folder as a MoEOracleError', () => {
    expect(() => writeSafetensorsFile(join(folder, 'no', 'such', 'x.safetensors'), {})).toThrow(/path: expected a writable file location, got .*\(ENOENT\)/);
  });
});

describe('readSafetensorsFile', () => {
  it('reports a missing file as a MoEOracleError', () => {
    expect(() => readSafetensorsFile(join(folder, 'missing.safetensors'))).toThrow(/path: expected a readable safetensors file, got ".*missing.safetensors" \(ENOENT\)/);
  });

  it('puts the path in front of format errors', () => {
    const path = join(folder, 'broken.safetensors');
    writeFileSync(path, new Uint8Array(3));
    expect(() => readSafetensorsFile(path)).toThrow(/moe-oracle: .*broken\.safetensors: safetensors file: expected at least 8 bytes/);
  });
});
