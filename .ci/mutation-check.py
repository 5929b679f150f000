#!/usr/bin/env python3
# Mutation check, run by hand (not in CI): applies one deliberate bug at a time to src/, runs the
# spec that guards the property, and reports whether the spec caught it; the file is restored after
# each run, and golden/ is restored from git (commit your work first). Usage, from the repo root:
#   python3 .ci/mutation-check.py [name-substring ...]
import subprocess, sys
muts = [
 ("probabilities sum to 1", "src/tensor/softmax.ts", "for (let i = 0; i < values.length; i++) out[i] /= sum;", "for (let i = 0; i < values.length; i++) out[i] /= sum * 1.001;", "spec/router/router-weights-follow-their-named-normalisation.spec.ts -t probabilities"),
 ("top-k tie rule", "src/router/topk.ts", "(row[a] === row[b] ? a - b : row[b] - row[a])", "(row[a] === row[b] ? b - a : row[b] - row[a])", "spec/router/topk-returns-true-maxima-under-tie-rule.spec.ts"),
 ("renormalised weights sum to 1", "src/router/router.ts", "weights = Float64Array.from(chosenScores, (s) => s / denominator);", "weights = Float64Array.from(chosenScores, (s) => s / (denominator * 1.0001));", "spec/router/router-weights-follow-their-named-normalisation.spec.ts -t sum"),
 ("softmax-topk equals renormalised softmax", "src/router/router.ts", "weights = softmaxValues(chosenLogits, `logits[${token}]`);", "weights = softmaxValues(chosenScores, `logits[${token}]`);", "spec/router/router-weights-follow-their-named-normalisation.spec.ts -t renormalise"),
 ("permuting tokens permutes output", "src/backends/cpu/gather-combine.ts", "for (let j = 0; j < k; j++) sum += w[t * k + j] * slots[(t * k + j) * H + h];", "for (let j = 0; j < k; j++) sum += w[(t === 0 ? 0 : t - 1) * k + j] * slots[(t * k + j) * H + h];", "spec/moe/layer-symmetries.spec.ts -t tokens"),
 ("permuting experts with router rows", "src/moe/layer.ts", "loadExpert(params, names.expert(e), resolved", "loadExpert(params, names.expert(N - 1 - e), resolved", "spec/moe/layer-symmetries.spec.ts -t 'permuting experts'"),
 ("k = N renormalised equals dense", "src/moe/layer.ts", "normalization: 'none', routedScalingFactor: 1 }", "normalization: 'none', routedScalingFactor: 1.01 }", "spec/moe/layer-symmetries.spec.ts -t dense"),
 ("one expert k = 1 equals FFN", "src/backends/cpu/gather-combine.ts", "out.set(values.data.subarray(r * hidden, (r + 1) * hidden), rows[r] * hidden);", "out.set(values.data.subarray(r * hidden, (r + 1) * hidden), rows[rows.length - 1 - r] * hidden);", "spec/moe/layer-symmetries.spec.ts -t 'one expert'"),
 ("fine-grained split reproduces FFN", "src/experts/fine-grained.ts", "w2: columnsSlice(params.w2, s * size, (s + 1) * size),", "w2: columnsSlice(params.w2, 0, size),", "spec/experts/fine-grained-split-reproduces-the-ffn.spec.ts"),
 ("shared-only layer equals its FFN", "src/moe/layer.ts", "kernels.upload(tensor(new Float32Array(T).fill(1), [T, 1]))", "kernels.upload(tensor(new Float32Array(T).fill(0.5), [T, 1]))", "spec/moe/layer-symmetries.spec.ts -t shared"),
 ("layer equals naive mixture", "src/moe/dispatch.ts", "(slot) => Math.floor(slot / k)", "(slot) => Math.floor(slot / k) % 2", "spec/moe/layer-equals-naive-per-token-mixture.spec.ts"),
 ("bad input: NaN rejected", "src/tensor/tensor.ts", "if (Number.isFinite(v) || (allowNegativeInfinity && v === -Infinity)) continue;", "if (Number.isFinite(v) || Number.isNaN(v) || (allowNegativeInfinity && v === -Infinity)) continue;", "spec/moe/bad-input-raises-moe-oracle-error.spec.ts"),
 ("score-correction bias selection only", "src/router/router.ts", "chosenScores[j] = scores.data[t * numExperts + expert];", "chosenScores[j] = selection.data[t * numExperts + expert];", "spec/router/router-weights-follow-their-named-normalisation.spec.ts -t steers"),
 ("erf matches python", "src/tensor/erf.ts", "const SERIES_LIMIT = 2;", "const SERIES_LIMIT = 6;", "spec/tensor/erf-matches-python-math.spec.ts"),
 ("golden suite regenerates byte for byte", "src/backends/cpu/gather-combine.ts", "for (let j = 0; j < k; j++) sum += w[t * k + j] * slots[(t * k + j) * H + h];", "for (let j = k - 1; j >= 0; j--) sum += Math.fround(w[t * k + j] * slots[(t * k + j) * H + h]);", "spec/golden/committed-suite-regenerates-byte-for-byte.spec.ts"),
 ("verify rejects routing disagreements above the near-tie threshold", "src/golden/verify.ts", "const threshold = 2 * allowedError(kth, scoreTolerance);", "const threshold = Infinity;", "spec/golden/verify-judges-backend-outputs.spec.ts"),
 ("verify replays the backend routing", "src/golden/verify.ts", "reference = component.run(config, inputs, params, actIndices);", "component.run(config, inputs, params, actIndices);", "spec/golden/verify-judges-backend-outputs.spec.ts"),
 ("python stdlib recomputation", "src/router/router.ts", "for (let j = 0; j < k; j++) weights[j] *= options.routedScalingFactor;", "for (let j = 0; j < k; j++) weights[j] *= options.routedScalingFactor * (1 + 1e-5);", "REGENERATE spec/golden/python-stdlib-recomputes-golden-moe-cases.spec.ts"),
 ("async entry equals sync entry", "src/moe/layer.ts", "const shared = stage.shared && { output: await kernels.read(stage.shared.output), gate: await kernels.read(stage.shared.gate) };", "const shared = stage.shared && { output: await kernels.read(stage.shared.output), gate: await kernels.read(stage.shared.output) };", "spec/backends/async-wrapper-gives-the-same-bits.spec.ts"),
 ("overflow from finite input is an error", "src/moe/layer.ts", "  checkProducedFinite('moe', 'y', output);\n", "", "spec/moe/overflow-from-finite-input-is-an-error.spec.ts"),
 ("hf: DeepSeek-V3 epsilon 1e-20", "src/hf/moe-block.ts", "normalizationEpsilon: normalise ? 1e-20 : 0,", "normalizationEpsilon: 0,", "spec/hf/real-configs-read-into-the-layer-config-field-by-field.spec.ts -t 'DeepSeek-V3 with'"),
 ("hf: Qwen2 shared expert gate", "src/hf/moe-block.ts", "{ count: 1, intermediateSize: sharedSize, gate: true }", "{ count: 1, intermediateSize: sharedSize, gate: false }", "spec/hf/real-configs-read-into-the-layer-config-field-by-field.spec.ts -t Qwen1.5"),
 ("hf: OLMoE size key", "src/hf/moe-block.ts", "f.int(modelType === 'olmoe' ? 'intermediate_size' : 'moe_intermediate_size')", "f.int('moe_intermediate_size')", "spec/hf/real-configs-read-into-the-layer-config-field-by-field.spec.ts -t OLMoE"),
 ("hf: Qwen3 norm_topk_prob default", "src/hf/moe-block.ts", "normalization: normTopKProb(false) ? 'sum' : 'none'", "normalization: normTopKProb(modelType === 'qwen3_moe') ? 'sum' : 'none'", "spec/hf/real-configs-read-into-the-layer-config-field-by-field.spec.ts -t Qwen3"),
 ("hf: a mistyped number is not the default", "src/hf/fields.ts", "return this.has(key) ? this.number(key, min, max) : fallback;", "return typeof this.raw(key) === 'number' ? this.number(key, min, max) : fallback;", "spec/hf/mistyped-or-impossible-keys-are-errors-naming-the-key.spec.ts -t string"),
 ("hf: kv heads divide the heads", "src/hf/attention.ts", "if (parts.numHeads % parts.numKeyValueHeads !== 0)", "if (parts.numHeads % parts.numKeyValueHeads < 0)", "spec/params/impossible-models-are-rejected-naming-the-key.spec.ts"),
 ("hf: MoE layers counted in closed form", "src/hf/model.ts", "return Math.floor((to - 1) / step) - Math.floor((from - 1) / step);", "return Math.floor((to - 1) / step) - Math.floor(from / step);", "spec/params/adding-an-expert-adds-one-expert-per-moe-layer.spec.ts"),
 ("hf: golden family keys checked on write", "src/hf/layer-config.ts", "moe_normalize_expert_weights: c.router.normalization === 'pnorm' ? c.router.pnormP : null,", "moe_normalize_expert_weights: 1,", "spec/golden/committed-suite-regenerates-byte-for-byte.spec.ts"),
 ("hf: floats written as floats", "src/hf/layer-config.ts", "return value.toFixed(1);", "return String(value);", "REGENERATE spec/golden/family-keys-in-golden-metadata-build-the-stored-layer.spec.ts"),
 ('losses: hf-mixtral equals k at uniform routing', 'src/losses/load-balancing.ts', "scaled(countsPerGroup(routing, 'slots'), N / (valid * valid))", "scaled(countsPerGroup(routing, 'slots'), N / (k * valid * valid))", "spec/losses/load-balancing-equals-published-value-at-uniform-and-maximum.spec.ts -t 'hf-mixtral:'"),
 ('losses: megatron equals 1 at uniform routing', 'src/losses/load-balancing.ts', "scaled(countsPerGroup(routing, 'slots'), N / (k * T * T))", "scaled(countsPerGroup(routing, 'slots'), N / (T * T))", "spec/losses/load-balancing-equals-published-value-at-uniform-and-maximum.spec.ts -t 'megatron:'"),
 ('losses: deepspeed reads first choices only', 'src/losses/load-balancing.ts', "scaled(countsPerGroup(routing, 'first'), N / (T * T))", "scaled(countsPerGroup(routing, 'slots'), N / (T * T))", "spec/losses/load-balancing-equals-published-value-at-uniform-and-maximum.spec.ts -t 'deepspeed:'"),
 ('losses: deepseek-v2 device loss normalisation', 'src/losses/deepseek-balance.ts', '* counts[e]) / perDevice;', '* counts[e]) / experts;', "spec/losses/load-balancing-equals-published-value-at-uniform-and-maximum.spec.ts -t 'deepseek-v2-device:'"),
 ('losses: deepseek-v2 comm loss uses M', 'src/losses/deepseek-balance.ts', '(limit * tokens)', '(tokens)', "spec/losses/load-balancing-equals-published-value-at-uniform-and-maximum.spec.ts -t 'deepseek-v2-comm:'"),
 ('losses: softmax backward (finite differences, shift invariance)', 'src/router/backward.ts', 'probs[i] * (gradProbs[i] - dot))', 'probs[i] * (gradProbs[i] - dot * 1.001))', "spec/losses/gradients-match-central-finite-differences.spec.ts -t 'hf-mixtral:'"),
 ('losses: normalised-sigmoid backward', 'src/losses/scores.ts', 'grad[base + e] = ((gradScores[base + e] - dot) / denominator) * s * (1 - s);', 'grad[base + e] = (gradScores[base + e] / denominator) * s * (1 - s);', "spec/losses/gradients-match-central-finite-differences.spec.ts -t 'megatron sigmoid'"),
 ('losses: z-loss gradient', 'src/losses/z-loss.ts', '(alpha * 2 * lse * probs[e])', '(alpha * lse * probs[e])', 'spec/losses/gradients-match-central-finite-differences.spec.ts -t z-loss'),
 ('losses: z-loss equals (log N)^2 at zero logits', 'src/losses/z-loss.ts', 'sum += lse * lse;', 'sum += lse;', 'spec/losses/z-loss-and-importance-bounds.spec.ts -t z-loss'),
 ('losses: CV^2 population variance (max N - 1)', 'src/losses/importance.ts', 'variance /= divisor;', 'variance /= divisor + 1;', 'spec/losses/z-loss-and-importance-bounds.spec.ts -t CV'),
 ('losses: masked mixtral leaves padding out', 'src/losses/scores.ts', '    if (tokenWeight[t] === 0) continue;\n', '', 'spec/losses/masked-mixtral-equals-unmasked-on-unpadded-tokens.spec.ts'),
 ('losses: token permutation within groups', 'src/losses/load-balancing.ts', '(_, t) => Math.floor(t / size)), groups: count };', '(_, t) => t % count), groups: count };', "spec/losses/losses-are-invariant-to-permuting-tokens-and-experts.spec.ts -t 'switch:'"),
 ('losses: expert relabelling', 'src/losses/scores.ts', 'counts[groupOf[t] * experts + indices[t * k + j]] += 1;', 'counts[groupOf[t] * experts + indices[t * k + j]] += indices[t * k + j] === 0 ? 2 : 1;', "spec/losses/losses-are-invariant-to-permuting-tokens-and-experts.spec.ts -t 'hf-mixtral:'"),
 ('losses: HF Switch published value (groups)', 'src/losses/load-balancing.ts', 'coefficients: scaled(counts, N / (routing.groups * S * S))', 'coefficients: scaled(counts, N / (S * S))', 'spec/losses/losses-reproduce-published-upstream-values.spec.ts -t masked_router'),
 ('router backward: sum normalisation', 'src/router/backward.ts', '(c * (gi - gs / D)) / D', '(c * gi) / D', 'spec/router/router-backward-matches-finite-differences.spec.ts -t Mixtral'),
 ('router backward: p-norm', 'src/router/backward.ts', '* norm ** (1 - p)));', '* norm ** (-p)));', 'spec/router/router-backward-matches-finite-differences.spec.ts -t DBRX'),
 ('router backward: sigmoid derivative', 'src/router/backward.ts', 'Float64Array.from(gradScores, (d, e) => d * scores[e] * (1 - scores[e]))', 'Float64Array.from(gradScores, (d, e) => d * scores[e])', 'spec/router/router-backward-matches-finite-differences.spec.ts -t DeepSeek'),
 ('router backward: linear layer adjoint', 'src/router/backward.ts', 'sum += g[t * experts + e] * xs[t * hidden + h];', 'sum += g[t * experts + e] * xs[t * hidden + ((h + 1) % hidden)];', 'spec/router/router-backward-matches-finite-differences.spec.ts -t adjoint'),
 ('losses: bias update direction', 'src/losses/bias-update.ts', 'Math.sign(mean - counts[e])', 'Math.sign(counts[e] - mean)', 'spec/losses/bias-update-moves-each-expert-toward-the-mean-load.spec.ts'),
 ('losses: bad input, gamma < 0', 'src/losses/bias-update.ts', "checkFiniteNumber('updateRate', updateRate, 0)", "checkFiniteNumber('updateRate', updateRate)", 'spec/losses/bad-loss-input-raises-moe-oracle-error.spec.ts'),
 ('losses: bad input, mask shape', 'src/losses/load-balancing.ts', 'if (tokens % perLayer !== 0) {', 'if (tokens % perLayer !== 0 && false) {', 'spec/losses/bad-loss-input-raises-moe-oracle-error.spec.ts'),
 ('losses: route --aux-loss', 'src/cli/route.ts', 'loadBalancingLoss(out.logits, out.topkIndices, { variant: auxVariant }).loss', "loadBalancingLoss(out.logits, out.topkIndices, { variant: 'hf-mixtral' }).loss", 'spec/losses/route-cli-prints-the-aux-loss-of-its-routing.spec.ts'),
 ('golden losses/router-backward regenerate byte for byte', 'src/router/backward.ts', 'for (let e = 0; e < experts; e++) sum += g[t * experts + e] * w[e * hidden + h];', 'for (let e = experts - 1; e >= 0; e--) sum += Math.fround(g[t * experts + e] * w[e * hidden + h]);', 'spec/golden/committed-suite-regenerates-byte-for-byte.spec.ts'),
]
only = sys.argv[1:]
for name, path, old, new, spec in muts:
    if only and not any(o in name for o in only): continue
    src = open(path).read()
    assert src.count(old) == 1, (name, src.count(old))
    open(path, 'w').write(src.replace(old, new))
    try:
        # REGENERATE: the spec reads the committed golden files, so rewrite them with the mutated code first.
        if spec.startswith("REGENERATE "):
            spec = spec[len("REGENERATE "):]
            subprocess.run("npx tsx -e \"import('./src/golden/suite.ts').then((m) => m.generateSuite('golden'))\"", shell=True, check=True, capture_output=True)
        r = subprocess.run(f"npx vitest run {spec}", shell=True, capture_output=True, text=True)
        status = "CAUGHT (spec failed)" if r.returncode != 0 else "NOT CAUGHT"
    finally:
        open(path, 'w').write(src)
        subprocess.run("git checkout -- golden", shell=True, check=True)
    print(f"{status:22} {name}  [{path}]", flush=True)
