// Bad input to the losses, the bias update and the router backward raises MoEOracleError naming the
// argument, what was expected and what came: logits and indices of different T, indices ≥ N, a mask of
// the wrong shape, γ < 0, options a variant does not read, groups that do not divide T.
import { describe, expect, it } from 'vitest';
import { errorOf } from '../helpers.js';
import {
  importanceLoss, intTensor, loadBalancingLoss, routerBackward, routerZLoss, tensor, updateExpertBias,
} from '../../src/index.js';

const logits = tensor(Array.from({ length: 4 * 3 }, (_, i) => Math.sin(i)), [4, 3]);
const indices = intTensor([0, 1, 1, 2, 2, 0, 0, 2], [4, 2]);

function expectError(run: () => unknown, argument: string, fragment: string): void {
  const error = errorOf(run);
  expect(error.argument).toBe(argument);
  expect(error.message).toContain(fragment);
}

describe('bad loss input', () => {
  it('logits and indices of different T', () => {
    expectError(() => loadBalancingLoss(logits, intTensor([0, 1, 1, 2, 2, 0], [3, 2]), { variant: 'megatron' }), 'topkIndices', 'expected shape [4, k], got [3, 2]');
    expectError(() => routerBackward(logits, intTensor([0, 1, 1, 2, 2, 0], [3, 2]), tensor(new Float32Array(6), [3, 2]), { topK: 2 }), 'topkIndices', 'got [3, 2]');
  });
  it('indices ≥ N or repeated', () => {
    expectError(() => loadBalancingLoss(logits, intTensor([0, 3, 1, 2, 2, 0, 0, 2], [4, 2]), { variant: 'hf-mixtral' }), 'topkIndices[0, 1]', 'an expert index in [0, 3), got 3');
    expectError(() => loadBalancingLoss(logits, intTensor([0, 0, 1, 2, 2, 0, 0, 2], [4, 2]), { variant: 'deepspeed' }), 'topkIndices[0]', 'expert 0 twice');
  });
  it('a mask of the wrong shape or values', () => {
    expectError(() => loadBalancingLoss(logits, indices, { variant: 'hf-mixtral', attentionMask: intTensor([1, 1, 0], [1, 3]) }), 'attentionMask', 'B·S dividing the number of tokens T = 4');
    expectError(() => loadBalancingLoss(logits, indices, { variant: 'hf-mixtral', attentionMask: intTensor([1, 2], [1, 2]) }), 'attentionMask[0, 1]', 'expected 0 or 1, got 2');
    expectError(() => loadBalancingLoss(logits, indices, { variant: 'hf-mixtral', attentionMask: intTensor([0, 0], [1, 2]) }), 'attentionMask', 'at least one unpadded token');
    expectError(() => routerZLoss(logits, { tokenMask: intTensor([1, 1, 0], [3]) }), 'tokenMask', 'expected shape [4], got [3]');
  });
  it('γ < 0 and bias/count shapes that differ', () => {
    const bias = tensor([0, 0, 0], [3]);
    expectError(() => updateExpertBias(bias, intTensor([1, 2, 3], [3]), -1e-3), 'updateRate', 'a finite number in [0, Infinity], got -0.001');
    expectError(() => updateExpertBias(bias, intTensor([1, 2], [2]), 1e-3), 'tokensPerExpert', 'expected shape [3], got [2]');
  });
  it('options a variant does not read, and group counts that do not divide T', () => {
    expectError(() => loadBalancingLoss(logits, indices, { variant: 'megatron', attentionMask: intTensor([1], [1, 1]) }), 'attentionMask', "only options variant 'megatron' reads (scoring)");
    expectError(() => loadBalancingLoss(logits, indices, { variant: 'switch', groups: 3 }), 'groups', 'a divisor of the number of tokens T = 4');
    expectError(() => loadBalancingLoss(logits, indices, { variant: 'deepseek-v2-device', numDevices: 2 }), 'numDevices', 'a divisor of the number of experts N = 3');
    expectError(() => loadBalancingLoss(logits, indices, { variant: 'nope' as never }), 'variant', 'one of');
    expectError(() => importanceLoss(logits, { source: 'shazeer' }), 'topkIndices', "for source 'shazeer'");
  });
  it('non-finite logits', () => {
    expectError(() => routerZLoss(tensor([0, NaN], [1, 2])), 'logits', 'got NaN at index [0, 1]');
  });
});
