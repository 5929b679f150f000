/**
 * Formatting of counts, FLOPs and bytes for people, and plain-text / Markdown tables.
 *
 *   formatCount(46_702_792_704)  → "46.70B"     (K, M, B, T: powers of 1000, two decimals)
 *   formatFlops(25_497_174_016)  → "25.50 GFLOP"
 *   formatBytes(131_072)         → "128.00 KiB" (powers of 1024)
 *   formatPercent(0.0016)        → "+0.16%"
 */

const DECIMAL_UNITS: Array<[number, string]> = [
  [1e12, 'T'],
  [1e9, 'B'],
  [1e6, 'M'],
  [1e3, 'K'],
];

/** A parameter count with two decimals and a K/M/B/T suffix. */
export function formatCount(count: number): string {
  for (const [scale, suffix] of DECIMAL_UNITS) {
    if (Math.abs(count) >= scale) return `${(count / scale).toFixed(2)}${suffix}`;
  }
  return String(count);
}

/** FLOPs with two decimals and an SI prefix. */
export function formatFlops(flops: number): string {
  const prefixes: Array<[number, string]> = [
    [1e15, 'P'],
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [scale, prefix] of prefixes) {
    if (Math.abs(flops) >= scale) return `${(flops / scale).toFixed(2)} ${prefix}FLOP`;
  }
  return `${flops} FLOP`;
}

/** Bytes with two decimals and a binary prefix. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(2)} ${units[unit]}`;
}

/** A signed relative difference: 0.0016 → "+0.16%". */
export function formatPercent(fraction: number): string {
  const percent = (fraction * 100).toFixed(2);
  return fraction >= 0 ? `+${percent}%` : `${percent}%`;
}

/** Column alignment: numbers read best right-aligned. */
export type Align = 'left' | 'right';

/** A plain-text table: columns padded to their widest cell, two spaces apart. */
export function renderTextTable(header: string[], rows: string[][], align: Align[] = []): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (align[column] === 'right' ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** A Markdown table (GitHub flavour). */
export function renderMarkdownTable(header: string[], rows: string[][], align: Align[] = []): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const line = (cells: string[]) => `| ${cells.map(escape).join(' | ')} |`;
  const rule = header.map((_, column) => (align[column] === 'right' ? '---:' : '---'));
  return [line(header), `|${rule.map((r) => ` ${r} `).join('|')}|`, ...rows.map(line)].join('\n') + '\n';
}
