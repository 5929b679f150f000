// Shared by the loss specs: every loss of src/losses as one named function of (logits, indices), and
// fast-check arbitraries of small routings (G groups of S tokens, N experts on D devices, k choices).
import fc from 'fast-check';
import {
  importanceLoss, intTensor, loadBalancingLoss, randomNormal, routerZLoss, tensor,
  type IntTensor, type LoadBalancingOptions, type LossResult, type Tensor,
} from '../../src/index.js';

/** A routing case: T = groups·perGroup tokens, N = devices·perDevice experts. */
export interface RoutingCase {
  groups: number;
  perGroup: number;
  devices: number;
  perDevice: number;
  k: number;
  seed: number;
  scale: number;
}

export const tokensOf = (c: RoutingCase) => c.groups * c.perGroup;
export const expertsOf = (c: RoutingCase) => c.devices * c.perDevice;

export const routingCase: fc.Arbitrary<RoutingCase> = fc
  .record({
    groups: fc.integer({ min: 1, max: 3 }),
    perGroup: fc.integer({ min: 1, max: 5 }),
    devices: fc.integer({ min: 1, max: 3 }),
    perDevice: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 0, max: 0xffffffff }),
    scale: fc.constantFrom(0.5, 2),
  })
  .filter((c) => c.devices * c.perDevice >= 2)
  .chain((c) => fc.record({ ...Object.fromEntries(Object.entries(c).map(([key, v]) => [key, fc.constant(v)])), k: fc.integer({ min: 1, max: Math.min(3, c.devices * c.perDevice) }) })) as fc.Arbitrary<RoutingCase>;

/** Random logits [T, N] and a random routing: each token's k distinct experts, from a second random draw. */
export function makeRouting(c: RoutingCase): { logits: Tensor; indices: IntTensor } {
  const T = tokensOf(c);
  const N = expertsOf(c);
  const logits = randomNormal([T, N], { seed: c.seed, name: 'logits', std: c.scale });
  const order = randomNormal([T, N], { seed: c.seed, name: 'routing' }).data;
  const indices = new Int32Array(T * c.k);
  for (let t = 0; t < T; t++) {
    const experts = Array.from({ length: N }, (_, e) => e).sort((a, b) => order[t * N + b] - order[t * N + a]);
    indices.set(experts.slice(0, c.k), t * c.k);
  }
  return { logits, indices: intTensor(indices, [T, c.k]) };
}

/** Devices touched by the token that touches the most (the M that makes the routing device-limited). */
export function maxDevicesTouched(indices: IntTensor, perDevice: number): number {
  const [T, k] = indices.shape;
  let most = 1;
  for (let t = 0; t < T; t++) most = Math.max(most, new Set(Array.from(indices.data.subarray(t * k, (t + 1) * k), (e) => Math.floor(e / perDevice))).size);
  return most;
}

/** Token layout of a loss: how its groups sit in token order. */
export type Layout = 'one' | 'consecutive' | 'strided';

export interface NamedLoss {
  name: string;
  layout: Layout;
  /** Softmax scores only: the loss is invariant to adding a constant to a token's logits. */
  shiftInvariant: boolean;
  run(logits: Tensor, indices: IntTensor, c: RoutingCase, extra: { globalCounts: Tensor; maxDevices: number }): LossResult;
}

const lb = (name: string, layout: Layout, shiftInvariant: boolean, options: (c: RoutingCase, extra: { globalCounts: Tensor; maxDevices: number }) => LoadBalancingOptions): NamedLoss => ({
  name,
  layout,
  shiftInvariant,
  run: (logits, indices, c, extra) => loadBalancingLoss(logits, indices, options(c, extra)),
});

export const LOSSES: NamedLoss[] = [
  lb('hf-mixtral', 'one', true, () => ({ variant: 'hf-mixtral' })),
  lb('switch', 'consecutive', true, (c) => ({ variant: 'switch', groups: c.groups })),
  lb('megatron softmax', 'one', true, () => ({ variant: 'megatron', coefficient: 0.01 })),
  lb('megatron sigmoid', 'one', false, () => ({ variant: 'megatron', scoring: 'sigmoid' })),
  lb('megatron-seq', 'strided', true, (c) => ({ variant: 'megatron-seq', batchSize: c.groups })),
  lb('megatron-seq batch-major sigmoid', 'consecutive', false, (c) => ({ variant: 'megatron-seq', batchSize: c.groups, tokenOrder: 'batch-major', scoring: 'sigmoid' })),
  lb('megatron-global', 'one', true, (c, extra) => ({ variant: 'megatron-global', globalTokensPerExpert: extra.globalCounts, globalNumTokens: 3 * tokensOf(c) })),
  lb('deepspeed', 'one', true, () => ({ variant: 'deepspeed' })),
  lb('gshard', 'consecutive', true, (c) => ({ variant: 'gshard', groups: c.groups })),
  lb('deepseek-v3-seq', 'strided', false, (c) => ({ variant: 'deepseek-v3-seq', batchSize: c.groups, coefficient: 0.5 })),
  lb('deepseek-v2-expert', 'one', true, () => ({ variant: 'deepseek-v2-expert' })),
  lb('deepseek-v2-device', 'one', true, (c) => ({ variant: 'deepseek-v2-device', numDevices: c.devices })),
  lb('deepseek-v2-comm', 'one', true, (c, extra) => ({ variant: 'deepseek-v2-comm', numDevices: c.devices, maxDevicesPerToken: extra.maxDevices })),
  { name: 'z-loss', layout: 'one', shiftInvariant: false, run: (logits) => routerZLoss(logits) },
  { name: 'importance vmoe', layout: 'one', shiftInvariant: true, run: (logits) => importanceLoss(logits, { source: 'vmoe' }) },
  { name: 'importance tutel', layout: 'one', shiftInvariant: true, run: (logits) => importanceLoss(logits, { source: 'tutel' }) },
  { name: 'importance shazeer', layout: 'one', shiftInvariant: true, run: (logits, indices) => importanceLoss(logits, { source: 'shazeer', topkIndices: indices }) },
];

/** The extra inputs of a case: Megatron global counts (any non-negative [N]) and the device limit M. */
export function extrasOf(c: RoutingCase, indices: IntTensor): { globalCounts: Tensor; maxDevices: number } {
  const N = expertsOf(c);
  const counts = Array.from({ length: N }, (_, e) => ((e * 7 + c.seed) % 5) + 1);
  return { globalCounts: tensor(counts, [N]), maxDevices: maxDevicesTouched(indices, c.perDevice) };
}

/** Step of the central finite differences: a power of two. */
export const STEP = 2 ** -10;

/** Central differences of `value` at every element of `logits`, with the float32 steps actually taken. */
export function finiteDifferences(logits: Tensor, value: (z: Tensor) => number): Float64Array {
  const data = logits.data;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const plus = Float32Array.from(data);
    const minus = Float32Array.from(data);
    plus[i] = Math.fround(data[i] + STEP);
    minus[i] = Math.fround(data[i] - STEP);
    out[i] = (value(tensor(plus, logits.shape)) - value(tensor(minus, logits.shape))) / (plus[i] - minus[i]);
  }
  return out;
}

