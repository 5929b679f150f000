/**
 * The golden suite: every case family, in one list. Adding a family is one file exporting a
 * `GoldenCase[]` and one line here.
 */
import type { GoldenCase } from '../case.js';
import { moeCases } from './moe.js';
import { opCases } from './ops.js';
import { routerCases } from './router.js';
import { routingCases } from './routing.js';
import { routingNoiseCases } from './routing-noise.js';
import { lossCases } from './losses.js';
import { routerBackwardCases } from './router-backward.js';
import { attentionCases } from './attention.js';
import { routingChoiceCases } from './routing-choice.js';

export const GOLDEN_CASES: GoldenCase[] = [...moeCases, ...routerCases, ...opCases, ...lossCases, ...routerBackwardCases, ...routingCases, ...routingNoiseCases, ...attentionCases, ...routingChoiceCases];
