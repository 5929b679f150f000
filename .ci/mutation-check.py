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
 ("attention: absorbed equals naive", "src/attention/mla.ts", "wUV: headRowBlocks(weights.kvBProj, n, c.qkNopeHeadDim, c.vHeadDim),", "wUV: headRowBlocks(weights.kvBProj, n, Math.max(0, c.qkNopeHeadDim - 1), c.vHeadDim),", "spec/attention/absorbed-form-equals-naive-form.spec.ts"),
 ("attention: cached decode equals full forward", "src/attention/attention.ts", "Int32Array.from({ length: tokens }, (_, t) => first + t)", "Int32Array.from({ length: tokens }, (_, t) => (cache === undefined ? first + t : t))", "spec/attention/cached-decode-equals-full-forward.spec.ts"),
 ("attention: causality", "src/backends/cpu/softmax.ts", "Math.min(columns, Math.max(0, i + causalOffset + 1))", "Math.min(columns, Math.max(0, i + causalOffset + 2))", "spec/attention/causality-later-tokens-never-change-earlier-outputs.spec.ts"),
 ("attention: rope shift invariance", "src/backends/cpu/rope.ts", "const angle = positions[t] * inverseFrequencies[i];", "const angle = positions[t] * inverseFrequencies[i] + 0.1 * Math.sqrt(positions[t]);", "spec/attention/rope-shift-leaves-attention-weights-unchanged.spec.ts -t shifting"),
 ("attention: MLA without rope equals factorised MHA", "src/attention/mla.ts", "const values = kernels.splitHeads(expanded, n, { start: dNope, width: dv, stride: dNope + dv });", "const values = kernels.splitHeads(expanded, n, { start: 0, width: dv, stride: dNope + dv });", "spec/attention/mla-without-rope-equals-its-factorised-mha.spec.ts"),
 ("attention: GQA equals MHA with repeated KV heads", "src/backends/cpu/matmul.ts", "const bBase = Math.floor(batch / group) * inner * columns;", "const bBase = (batch % b.shape[0]) * inner * columns;", "spec/attention/gqa-equals-mha-with-repeated-kv-heads.spec.ts"),
 ("attention: calculator sizes equal kept caches", "src/attention/kv-cache-size.ts", "return checkInteger('shape.kvLoraRank', s.kvLoraRank, 1) + checkInteger('shape.qkRopeHeadDim', s.qkRopeHeadDim, 0);", "return checkInteger('shape.kvLoraRank', s.kvLoraRank, 1) + 2 * checkInteger('shape.qkRopeHeadDim', s.qkRopeHeadDim, 0);", "spec/attention/calculator-cache-sizes-equal-the-kept-caches.spec.ts"),
 ("attention: paged equals contiguous (read through the block table)", "src/attention/cache.ts", "const rows = Int32Array.from({ length: cache.length }, (_, t) => storageRow(cache, t));", "const rows = Int32Array.from({ length: cache.length }, (_, t) => t);", "spec/attention/paged-cache-gives-contiguous-cache-outputs.spec.ts"),
 ("attention: paged cache keeps the documented layout", "src/attention/cache.ts", "return cache.blockTable[Math.floor(token / cache.blockSize)] * cache.blockSize + (token % cache.blockSize);", "return cache.blockTable[Math.floor(token / cache.blockSize)] * cache.blockSize + ((token + 1) % cache.blockSize);", "spec/attention/paged-cache-gives-contiguous-cache-outputs.spec.ts"),
 ("attention: async twin gives the same bits", "src/attention/attention.ts", "return assemble(await kernels.read(result.output), await kernels.read(result.weights));", "return assemble(await kernels.read(result.output), await kernels.read(kernels.maskedSoftmax(result.weights, { scale: 1 })));", "spec/attention/async-entry-gives-the-same-bits.spec.ts"),
 ("attention: hf-interleave attends as interleaved", "src/backends/cpu/rope.ts", "const [readU, readV] = layout === 'half' ? [i, i + half] : [2 * i, 2 * i + 1];", "const [readU, readV] = layout !== 'interleaved' ? [i, i + half] : [2 * i, 2 * i + 1];", "spec/attention/rope-shift-leaves-attention-weights-unchanged.spec.ts -t hf-interleave"),
 ("attention: odd rope dim rejected", "src/attention/config.ts", "if (value % 2 !== 0) throw", "if (value % 2 === 3) throw", "spec/attention/bad-configs-raise-moe-oracle-error.spec.ts"),
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
