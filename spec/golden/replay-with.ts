// What a backend that made another routing choice would write: the reference outputs of a golden case
// replayed on the given selection (a routing override), as `outputs.*` tensors of a file to verify.
import { getComponent } from '../../src/golden/components.js';
import type { SafetensorsFile } from '../../src/golden/safetensors.js';
import { readCaseMetadata } from '../../src/golden/verify.js';
import type { IntTensor } from '../../src/index.js';

export function replayWith(golden: SafetensorsFile, indices: IntTensor): SafetensorsFile {
  const { component, config } = readCaseMetadata(golden);
  const prefixed = (p: string) => Object.fromEntries(Object.entries(golden.tensors).filter(([n]) => n.startsWith(p)).map(([n, t]) => [n.slice(p.length), t]));
  const outputs = getComponent(component.name).run(config, prefixed('inputs.'), prefixed('params.') as never, indices);
  return { tensors: Object.fromEntries(Object.entries(outputs).map(([n, t]) => [`outputs.${n}`, t])), metadata: {}, dtypes: {} };
}
