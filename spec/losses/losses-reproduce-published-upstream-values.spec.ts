// Numbers published upstream, reproduced from their inputs (never from this library's own output):
//  - huggingface/transformers tests/models/switch_transformers/test_modeling_switch_transformers.py,
//    SwitchTransformerRouterTest (same numbers in tests/models/nllb_moe):
//      test_equivalency_balancy_loss: router_probs [5, 2], expert_indices [[0],[1],[1],[0],[0]]
//        → 0.8741045 (assertAlmostEqual places=5)
//      test_equivalency_router_z_loss: logits [2, 6, 4] → 13.786719
//      test_equivalency_token_chose_masked_router: input [2, 3, 4], classifier weight [4, 2]ᵀ, top-1 by
//        argmax, expert capacity 4 (no token dropped) → load-balancing 1.000308, z-loss 0.4789799
//    (places=5: |Δ| < 5e-6).
//  - HF's Mixtral/Qwen2-MoE/Glm4-MoE `test_load_balancing_loss`: a randomly initialised model with k = 2
//    gives aux_loss ≈ 2 (rtol = atol = 1e-2): near-uniform routing gives k. Here: small random logits
//    (std 1e-3) over 91 tokens whose top-2 is spread evenly give 2 within 1e-2.
import { describe, expect, it } from 'vitest';
import { intTensor, loadBalancingLoss, loadBalancingLossOfScores, randomNormal, routerZLoss, tensor } from '../../src/index.js';

const PLACES_5 = 5e-6;

describe('published upstream values', () => {
  it('HF Switch test_equivalency_balancy_loss: 0.8741045', () => {
    const probs = tensor([0.35490513, 0.60419905, 0.4275843, 0.23061597, 0.32985854, 0.43953657, 0.25099766, 0.27730572, 0.7678207, 0.71474564], [5, 2]);
    const { loss } = loadBalancingLossOfScores(probs, intTensor([0, 1, 1, 0, 0], [5, 1]), { variant: 'switch' });
    expect(Math.abs(loss - 0.8741045)).toBeLessThan(PLACES_5);
  });

  it('HF Switch test_equivalency_router_z_loss: 13.786719', () => {
    const logits = [
      -4.2124424, 3.891939, -3.6481273, 1.8849981, 0.32625437, 2.918651, 0.84758997, -4.556842, -3.32062, 4.6977115, -0.15439987, 0.44086337,
      3.4467149, 4.3436565, -4.7224274, -4.264637, -2.224406, -2.5318158, -1.3832569, 1.1891162, -2.320062, -0.44705987, 4.289819, -0.00662684,
      0.99470854, -0.6992364, 0.25503993, 4.2952085, 3.5937333, -3.2408535, -4.298278, 4.426601, 0.7669008, 2.6588762, 2.4505413, 4.6051874,
      0.23330331, -3.0845237, 0.6262374, -2.9865491, 0.7595146, -2.1099675, -4.155346, -2.8326452, 2.3771453, 1.004138, -3.1781673, 0.7581556,
    ];
    expect(Math.abs(routerZLoss(tensor(logits, [12, 4])).loss - 13.786719)).toBeLessThan(PLACES_5);
  });

  it('HF Switch test_equivalency_token_chose_masked_router: load balancing 1.000308, z-loss 0.4789799', () => {
    const input = [
      [0.6433916, 0.18188512, 0.02240455, 0.563781], [0.5526401, 0.0958724, 0.34253013, 0.03644359], [0.08744538, 0.7909105, 0.35205448, 0.53364205],
      [0.02900076, 0.4168595, 0.5802449, 0.91486526], [0.27414513, 0.14991808, 0.9383501, 0.5209162], [0.51207185, 0.90618336, 0.7309413, 0.95533276],
    ];
    // classifier.weight = Tensor([[0.02008116, 0.00620062], [-0.00811031, -0.00031623], ...]).t(): row e is column e below
    const columns = [[0.02008116, 0.00620062], [-0.00811031, -0.00031623], [-0.03542127, 0.02703803], [0.02335377, -0.02971946]];
    const logits = new Float32Array(6 * 2);
    const indices = new Int32Array(6);
    input.forEach((x, t) => {
      for (let e = 0; e < 2; e++) logits[t * 2 + e] = x.reduce((sum, xi, h) => sum + xi * columns[h][e], 0);
      indices[t] = logits[t * 2 + 1] > logits[t * 2] ? 1 : 0;
    });
    const z = tensor(logits, [6, 2]);
    const balance = loadBalancingLoss(z, intTensor(indices, [6, 1]), { variant: 'switch', groups: 2 }).loss;
    expect(Math.abs(balance - 1.000308)).toBeLessThan(PLACES_5);
    expect(Math.abs(routerZLoss(z).loss - 0.4789799)).toBeLessThan(PLACES_5);
  });

  it("HF Mixtral test_load_balancing_loss: near-uniform routing with k = 2 gives 2 (±1e-2)", () => {
    const T = 91;
    const N = 8;
    const logits = randomNormal([T, N], { seed: 7, name: 'logits', std: 1e-3 });
    const indices = intTensor(Array.from({ length: T * 2 }, (_, i) => (Math.floor(i / 2) + (i % 2)) % N), [T, 2]);
    expect(Math.abs(loadBalancingLoss(logits, indices, { variant: 'hf-mixtral' }).loss - 2)).toBeLessThanOrEqual(1e-2);
  });
});
