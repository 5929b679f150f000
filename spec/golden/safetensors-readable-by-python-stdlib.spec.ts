// An independent reader: Python's standard library alone (struct, json) parses a file our writer
// produced, checks the format rules on its own, and reports what it read; the values must be the
// ones we wrote. This proves the files are readable outside this code base (no numpy/torch needed).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSafetensorsFile } from '../../src/golden/safetensors.js';
import { intTensor, tensor } from '../../src/tensor/tensor.js';
import { bitsOfFloat32, float32FromBits } from './raw-safetensors.js';

function pythonVersion(): string | null {
  try {
    return execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const PYTHON = pythonVersion();
if (PYTHON === null) console.warn('safetensors-readable-by-python-stdlib: python3 not found, skipping the independent-reader spec');

// Reads argv[1] with struct and json only, checks the layout rules, prints what it read as JSON.
// Float32 values are printed as their bit patterns (integers), so NaN, -0 and Infinity survive JSON.
const READER = `
import json, struct, sys
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
text = raw[8:8 + n].decode('utf-8')
assert n % 8 == 0, 'header length not a multiple of 8'
assert text.rstrip(' ').endswith('}') and len(text) - len(text.rstrip(' ')) < 8, 'not padded with fewer than 8 spaces'
pairs = json.loads(text, object_pairs_hook=lambda kv: kv)
keys = [k for k, _ in pairs]
header = dict(pairs)
assert len(keys) == len(header), 'duplicated key'
data = raw[8 + n:]
sizes = {'F32': 4, 'I32': 4}
codes = {'F32': 'I', 'I32': 'i'}
out = {'keys': keys, 'metadata': dict(header.get('__metadata__', [])), 'tensors': {}}
position = 0
for name in keys:
    if name == '__metadata__':
        continue
    entry = dict(header[name])
    begin, end = entry['data_offsets']
    count = 1
    for d in entry['shape']:
        count *= d
    assert begin == position, 'gap or overlap at ' + name
    assert end - begin == count * sizes[entry['dtype']], 'wrong byte length for ' + name
    position = end
    values = list(struct.unpack('<%d%s' % (count, codes[entry['dtype']]), data[begin:end]))
    out['tensors'][name] = {'dtype': entry['dtype'], 'shape': entry['shape'], 'values': values}
assert position == len(data), 'data not fully covered'
print(json.dumps(out))
`;

describe.skipIf(PYTHON === null)(`safetensors files read by ${PYTHON ?? 'python3'} (standard library only)`, () => {
  it('have the header, layout and values we wrote', () => {
    const folder = mkdtempSync(join(tmpdir(), 'moe-oracle-python-'));
    try {
      const path = join(folder, 'golden.safetensors');
      const floatBits = [0x3f800000, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x7fc0beef, 0xc0490fdb];
      writeSafetensorsFile(
        path,
        {
          'moe.output': tensor(float32FromBits(floatBits), [7]),
          'router.topk_indices': intTensor([3, -1, 2147483647, -2147483648], [2, 2]),
          scalar: tensor([0.1], []),
          'empty.é': tensor([], [0, 3]),
        },
        { seed: '42', 'note ✓': 'ünïcode "quoted"' },
      );
      const read = JSON.parse(execFileSync('python3', ['-c', READER, path], { encoding: 'utf8' }));
      expect(read.keys).toEqual(['__metadata__', 'empty.é', 'moe.output', 'router.topk_indices', 'scalar']);
      expect(read.metadata).toEqual({ seed: '42', 'note ✓': 'ünïcode "quoted"' });
      expect(read.tensors['moe.output']).toEqual({ dtype: 'F32', shape: [7], values: floatBits });
      expect(read.tensors['router.topk_indices']).toEqual({ dtype: 'I32', shape: [2, 2], values: [3, -1, 2147483647, -2147483648] });
      expect(read.tensors.scalar).toEqual({ dtype: 'F32', shape: [], values: bitsOfFloat32(new Float32Array([0.1])) });
      expect(read.tensors['empty.é']).toEqual({ dtype: 'F32', shape: [0, 3], values: [] });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
