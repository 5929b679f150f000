// The MoE layer sizes of bench/gpujs.bench.ts (k = 2 of N = 8 experts).
export const BENCH_SIZES = [
  { label: 'T=16 H=64 I=128', tokens: 16, hidden: 64, intermediate: 128, experts: 8, topK: 2, runs: 5 },
  { label: 'T=64 H=256 I=512', tokens: 64, hidden: 256, intermediate: 512, experts: 8, topK: 2, runs: 3 },
  { label: 'T=256 H=512 I=1024', tokens: 256, hidden: 512, intermediate: 1024, experts: 8, topK: 2, runs: 3 },
];
