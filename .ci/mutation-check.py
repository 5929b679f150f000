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
 ("gpujs linear kernel adds the bias", "src/backends/gpujs/linear.ts", "  return sum + bias[o];", "  return sum;", "spec/backends/gpujs/kernels-match-cpu-within-tolerance.spec.ts"),
 ("gpujs gelu kernel reflects erfc for negative arguments", "src/backends/gpujs/elementwise.ts", "  if (z < 0) erfc = 2 - erfc;", "  if (z > 0) erfc = 2 - erfc;", "spec/backends/gpujs/kernels-match-cpu-within-tolerance.spec.ts"),
 ("synchronous view returns only after a pass without stand-ins", "src/backends/gpujs/synchronous-view.ts", "    if (standIns === 0) return outcome;", "    if (pass >= 0) return outcome;", "spec/backends/gpujs/synchronous-view-gives-the-async-backends-own-bits.spec.ts"),
 ("verify of a backend names routing mismatches", "src/backends/gpujs/verify-cases.ts", "  for (const m of report.routing?.mismatches ?? []) {", "  for (const m of [] as NonNullable<VerifyReport['routing']>['mismatches']) {", "spec/backends/gpujs/verify-fails-wrong-kernels-naming-family-and-element.spec.ts"),
 ("overflow from finite input is an error", "src/moe/layer.ts", "  checkProducedFinite('moe', 'y', output);\n", "", "spec/moe/overflow-from-finite-input-is-an-error.spec.ts"),
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
