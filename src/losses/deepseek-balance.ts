/**
 * DeepSeek-V2's device-level and communication balance losses, from the paper (DeepSeek-AI,
 * "DeepSeek-V2", arXiv:2405.04434, §2.2.3 eqs. 14-20); no library implements them. The N routed
 * experts are split into D devices of N/D consecutive experts each (E_d = experts [d·N/D, (d+1)·N/D)),
 * k experts per token, T tokens, s_te the softmax scores:
 *
 *   f_i   = N / (k·T) · Σ_t 1(token t selects expert i)      P_i = 1/T · Σ_t s_ti   (eqs. 13-14)
 *   device-level (eqs. 15-17):
 *     L_DevBal  = α₂ · Σ_d f'_d · P'_d,   f'_d = 1/|E_d| · Σ_{j∈E_d} f_j,   P'_d = Σ_{j∈E_d} P_j
 *   communication (eqs. 18-20), M = the most devices a token may be sent to (device-limited routing):
 *     L_CommBal = α₃ · Σ_d f''_d · P''_d, f''_d = D / (M·T) · Σ_t 1(token t is sent to device d),
 *                                         P''_d = Σ_{j∈E_d} P_j
 *
 * Both are linear in the scores once the routing is fixed (scores.ts): A_e = α·f'_{d(e)}/T and
 * A_e = α·f''_{d(e)}/T. At perfectly balanced routing f'_d = f''_d = 1 and P'_d = P''_d = 1/D, so both
 * equal α; the largest values are α·D (every token and all its probability on device 0's experts,
 * possible when k ≤ N/D) and α·D/M (every token sent to device 0 only, all probability there).
 * The expert-level loss (eq. 12-14) is Megatron's form, variant 'deepseek-v2-expert' of
 * load-balancing.ts.
 */
import { checkInteger, MoEOracleError } from '../tensor/errors.js';
import { countsPerGroup, type Routing } from './scores.js';

/** Device of each expert: N/D consecutive experts per device. */
function deviceOf(expert: number, expertsPerDevice: number): number {
  return Math.floor(expert / expertsPerDevice);
}

function checkDevices(numDevices: unknown, experts: number): number {
  const devices = checkInteger('numDevices', numDevices, 1, experts);
  if (experts % devices !== 0) throw new MoEOracleError('numDevices', `a divisor of the number of experts N = ${experts}`, String(devices));
  return devices;
}

/** A [N] of the device-level balance loss (file comment). */
export function deviceBalanceCoefficients(routing: Routing, numDevices: unknown, alpha: number): Float64Array {
  const { tokens, experts, k } = routing;
  const devices = checkDevices(numDevices, experts);
  const perDevice = experts / devices;
  const counts = countsPerGroup(routing, 'slots');
  const deviceFraction = new Float64Array(devices); // f'_d
  for (let e = 0; e < experts; e++) deviceFraction[deviceOf(e, perDevice)] += ((experts / (k * tokens)) * counts[e]) / perDevice;
  return Float64Array.from({ length: experts }, (_, e) => (alpha * deviceFraction[deviceOf(e, perDevice)]) / tokens);
}

/** A [N] of the communication balance loss (file comment); every token must touch ≤ M devices. */
export function communicationBalanceCoefficients(routing: Routing, numDevices: unknown, maxDevicesPerToken: unknown, alpha: number): Float64Array {
  const { tokens, experts, k, indices } = routing;
  const devices = checkDevices(numDevices, experts);
  const limit = checkInteger('maxDevicesPerToken', maxDevicesPerToken, 1, devices);
  const perDevice = experts / devices;
  const sentTo = new Float64Array(devices); // Σ_t 1(token t is sent to device d)
  for (let t = 0; t < tokens; t++) {
    const touched = new Set<number>();
    for (let j = 0; j < k; j++) touched.add(deviceOf(indices[t * k + j], perDevice));
    if (touched.size > limit) {
      throw new MoEOracleError(`topkIndices[${t}]`, `experts on at most maxDevicesPerToken = ${limit} devices (device-limited routing)`, `${touched.size} devices`);
    }
    for (const d of touched) sentTo[d] += 1;
  }
  return Float64Array.from({ length: experts }, (_, e) => (alpha * ((devices * sentTo[deviceOf(e, perDevice)]) / (limit * tokens))) / tokens);
}
