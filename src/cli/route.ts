/**
 * `moe-oracle route`: routes a few random tokens through a router and explains, per token, what it
 * chose and why: the scores, the chosen experts, their weights and the margin to the first expert
 * that was not chosen. A worked example of the router for readers; `--json` for scripts.
 */
import { ROUTER_PRESETS, route, type RouterOptions } from '../router/router.js';
import { checkOneOf } from '../tensor/errors.js';
import { randomNormal, randomUniform } from '../tensor/prng.js';
import { integerOption, parseOptions } from './args.js';
import type { CliCommand } from './main.js';

const HELP = `usage: moe-oracle route [--preset NAME] [--tokens T] [--hidden H] [--experts N] [--k K] [--seed S] [--json]

Routes T random tokens (x ~ N(0, 1), named "inputs.x") through a random router
(gate.weight ~ U(±1/√H)) and prints what each token chose and why.
  --preset   router of a published model: ${Object.keys(ROUTER_PRESETS).join(', ')} (default mixtral)
  --tokens   T (default 4)    --hidden  H (default 16)    --experts  N (default 8)
  --k        experts per token (default 2)                --seed     uint32 (default 0)
  --json     print the preset's options and, per token, scores, experts, weights and margin as JSON
             (an infinite margin, k = N, as the string "Infinity")
`;

export const routeCommand: CliCommand = {
  summary: 'route a few random tokens and explain what the router chose',
  run(args, io) {
    const { values } = parseOptions('route', {
      args,
      options: {
      preset: { type: 'string' }, tokens: { type: 'string' }, hidden: { type: 'string' }, experts: { type: 'string' },
      k: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
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

    const options: RouterOptions = { ...ROUTER_PRESETS[presetName], topK: k };
    // A large route (up to 10 000 · 4096 · 65 536 multiply-adds) takes minutes: say so first, on a terminal.
    const multiplyAdds = tokens * experts * hidden;
    if (io.isTTY && multiplyAdds > 1e8) {
      io.stderr(`route: ${tokens} tokens · ${experts} experts · hidden ${hidden} = ${multiplyAdds.toExponential(1)} multiply-adds (about ${Math.ceil(multiplyAdds / 1e8)} s on one core)…\n`);
    }
    const bound = 1 / Math.sqrt(hidden);
    const x = randomNormal([tokens, hidden], { seed, name: 'inputs.x' });
    const weight = randomUniform([experts, hidden], { seed, name: 'gate.weight', low: -bound, high: bound });
    const out = route(x, { weight }, options);

    const perToken = Array.from({ length: tokens }, (_, t) => ({
      token: t,
      scores: Array.from(out.scores.data.slice(t * experts, (t + 1) * experts)),
      experts: Array.from(out.topkIndices.data.slice(t * k, (t + 1) * k)),
      weights: Array.from(out.topkWeights.data.slice(t * k, (t + 1) * k)),
      margin: out.margins.data[t],
    }));
    if (values.json) {
      io.stdout(JSON.stringify({ preset: presetName, options, tokens: perToken }, (_, v) => (v === Infinity ? 'Infinity' : v), 2) + '\n');
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
    return 0;
  },
};
