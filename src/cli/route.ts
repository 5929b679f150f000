/**
 * `moe-oracle route`: routes a few random tokens through a router and explains, per token, what it
 * chose and why: the scores, the chosen experts, their weights and the margin to the first expert
 * that was not chosen. A worked example of the router for readers; `--json` for scripts.
 */
import { ROUTER_PRESETS, route, type RouterConfig } from '../router/router.js';
import { CAPACITY_FORMULAS, DROP_POLICIES, explainDrops, type CapacityConfig } from '../router/capacity.js';
import { checkOneOf, MoEOracleError } from '../tensor/errors.js';
import { loadBalancingLoss, type LoadBalancingVariant } from '../losses/load-balancing.js';
import { randomNormal, randomUniform } from '../tensor/prng.js';
import { integerOption, parseOptions } from './args.js';
import type { CliCommand } from './main.js';

/** Load-balancing variants that need no option beyond the routing (see src/losses/load-balancing.ts). */
const AUX_LOSSES: readonly LoadBalancingVariant[] = ['hf-mixtral', 'switch', 'megatron', 'megatron-seq', 'deepspeed', 'gshard', 'deepseek-v3-seq', 'deepseek-v2-expert'];

const HELP = `usage: moe-oracle route [--preset NAME] [--tokens T] [--hidden H] [--experts N] [--k K] [--seed S] [--aux-loss VARIANT]
                         [--capacity FORMULA:FACTOR [--drop-policy POLICY]] [--json]

Routes T random tokens (x ~ N(0, 1), named "inputs.x") through a random router
(gate.weight ~ U(±1/√H)) and prints what each token chose and why.
  --preset   router of a published model: ${Object.keys(ROUTER_PRESETS).join(', ')} (default mixtral)
  --tokens   T (default 4)    --hidden  H (default 16)    --experts  N (default 8)
  --k        experts per token (default 2)                --seed     uint32 (default 0)
  --json     print the preset's options and, per token, scores, experts, weights and margin as JSON
             (an infinite margin, k = N, as the string "Infinity")
  --aux-loss also print the load-balancing loss of this routing (one group/sequence):
             ${AUX_LOSSES.join(', ')}
  --capacity  give each expert a capacity and explain each dropped slot (src/router/capacity.ts):
             FORMULA:FACTOR with FORMULA one of ${CAPACITY_FORMULAS.filter((f) => f !== 'fixed').join(', ')}, or fixed:CAPACITY
  --drop-policy  ${DROP_POLICIES.join(', ')} (default position-choice-major)
`;

/** Parses --capacity FORMULA:FACTOR (or fixed:CAPACITY) and --drop-policy. */
function capacityOption(value: string | undefined, dropPolicy: string | undefined): CapacityConfig | undefined {
  if (value === undefined) {
    if (dropPolicy !== undefined) throw new MoEOracleError('--drop-policy', 'a --capacity to go with it', JSON.stringify(dropPolicy));
    return undefined;
  }
  const [formulaText, amount, extra] = value.split(':');
  const formula = checkOneOf('--capacity formula', formulaText, CAPACITY_FORMULAS);
  const number = Number(amount);
  if (extra !== undefined || amount === undefined || amount.trim() === '' || !Number.isFinite(number)) {
    throw new MoEOracleError('--capacity', 'FORMULA:FACTOR, e.g. megatron:1.25, or fixed:CAPACITY', JSON.stringify(value));
  }
  const policy = dropPolicy === undefined ? {} : { dropPolicy: checkOneOf('--drop-policy', dropPolicy, DROP_POLICIES) };
  return formula === 'fixed' ? { formula, expertCapacity: number, ...policy } : { formula, factor: number, ...policy };
}

export const routeCommand: CliCommand = {
  summary: 'route a few random tokens and explain what the router chose',
  run(args, io) {
    const { values } = parseOptions('route', {
      args,
      options: {
      preset: { type: 'string' }, tokens: { type: 'string' }, hidden: { type: 'string' }, experts: { type: 'string' },
      k: { type: 'string' }, seed: { type: 'string' }, 'aux-loss': { type: 'string' }, capacity: { type: 'string' }, 'drop-policy': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout(HELP);
      return 0;
    }
    const presetName = checkOneOf('--preset', values.preset ?? 'mixtral', Object.keys(ROUTER_PRESETS) as (keyof typeof ROUTER_PRESETS)[]);
    const tokens = integerOption('tokens', values.tokens, 4, 1, 10_000);
    const hidden = integerOption('hidden', values.hidden, 16, 1, 65_536);
    const experts = integerOption('experts', values.experts, 8, 1, 4096);
    const k = integerOption('k', values.k, 2, 1, experts);
    const seed = integerOption('seed', values.seed, 0, 0, 0xffffffff);

    const capacity = capacityOption(values.capacity, values['drop-policy']);
    const options: RouterConfig = { ...ROUTER_PRESETS[presetName], topK: k, ...(capacity === undefined ? {} : { capacity }) };
    // A large route (up to 10 000 · 4096 · 65 536 multiply-adds) takes minutes: say so first, on a terminal.
    const multiplyAdds = tokens * experts * hidden;
    if (io.isTTY && multiplyAdds > 1e8) {
      io.stderr(`route: ${tokens} tokens · ${experts} experts · hidden ${hidden} = ${multiplyAdds.toExponential(1)} multiply-adds (about ${Math.ceil(multiplyAdds / 1e8)} s on one core)…\n`);
    }
    const bound = 1 / Math.sqrt(hidden);
    const x = randomNormal([tokens, hidden], { seed, name: 'inputs.x' });
    const weight = randomUniform([experts, hidden], { seed, name: 'gate.weight', low: -bound, high: bound });
    const out = route(x, { weight }, options);
    const auxVariant = values['aux-loss'] === undefined ? undefined : checkOneOf('--aux-loss', values['aux-loss'], AUX_LOSSES);
    const auxLoss = auxVariant === undefined ? undefined : loadBalancingLoss(out.logits, out.topkIndices, { variant: auxVariant }).loss;

    const perToken = Array.from({ length: tokens }, (_, t) => ({
      token: t,
      scores: Array.from(out.scores.data.slice(t * experts, (t + 1) * experts)),
      experts: Array.from(out.topkIndices.data.slice(t * k, (t + 1) * k)),
      weights: Array.from(out.topkWeights.data.slice(t * k, (t + 1) * k)),
      margin: out.margins.data[t],
    }));
    if (values.json) {
      const aux = auxVariant === undefined ? {} : { auxLoss: { variant: auxVariant, value: auxLoss } };
      const drops = out.capacity === undefined ? {} : { capacity: out.capacity.capacity, dropped: out.capacity.dropped };
      io.stdout(JSON.stringify({ preset: presetName, options, tokens: perToken, ...aux, ...drops }, (_, v) => (v === Infinity ? 'Infinity' : v), 2) + '\n');
      return 0;
    }
    const fmt = (v: number) => v.toFixed(4);
    io.stdout(`router preset '${presetName}': ${JSON.stringify(options)}\n`);
    io.stdout(`${tokens} tokens, H=${hidden}, N=${experts}, k=${k}, seed ${seed}\n\n`);
    for (const t of perToken) {
      io.stdout(`token ${t.token}: ${options.scoring ?? 'softmax'} scores [${t.scores.map(fmt).join(', ')}]\n`);
      const choice = t.experts.map((e, j) => `expert ${e} (score ${fmt(t.scores[e])} → weight ${fmt(t.weights[j])})`).join(', ');
      io.stdout(`  chose ${choice}\n`);
      io.stdout(
        t.margin === Infinity
          ? '  every expert is chosen (k = N): no margin\n'
          : `  margin to the best unchosen expert: ${t.margin.toExponential(3)}${t.margin === 0 ? ' (exact tie: the lower index wins)' : ''}\n`,
      );
    }
    if (out.capacity !== undefined) {
      const c = out.capacity;
      io.stdout(`\ncapacity ${c.capacity} per expert (${options.capacity!.formula}); tokens per expert before dropping [${Array.from(c.tokensPerExpertBeforeDrop.data).join(', ')}], after [${Array.from(c.tokensPerExpert.data).join(', ')}]; ${c.droppedCount} of ${tokens * k} slots dropped\n`);
      for (const line of explainDrops(c)) io.stdout(`  ${line}\n`);
    }
    if (auxVariant !== undefined) io.stdout(`\naux loss '${auxVariant}' of this routing: ${auxLoss!.toFixed(6)} (src/losses/load-balancing.ts)\n`);
    return 0;
  },
};
