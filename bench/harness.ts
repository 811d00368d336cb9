/**
 * The benchmark harness: each module under bench/ exports `benchmarks`, a list of named runs that return rows; index.ts
 * runs them in order and prints one table per benchmark. Benchmarks measure; tests never time.
 */
export interface BenchRow {
  /** What was measured, e.g. "allocations/s (rules only)". */
  metric: string;
  value: number;
  unit: string;
  /** Anything that qualifies the number (sizes, counts). */
  note?: string;
}

export interface Benchmark {
  name: string;
  run(): Promise<BenchRow[]>;
}

export function formatNumber(v: number): string {
  if (v >= 100) return Math.round(v).toLocaleString('en-US');
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

export function printTable(title: string, rows: BenchRow[]): string {
  const cells = rows.map((r) => [r.metric, formatNumber(r.value), r.unit, r.note ?? '']);
  const header = ['metric', 'value', 'unit', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === 1 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ').trimEnd();
  return [`## ${title}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), ''].join('\n');
}

/** Times `fn` (ms, high resolution). */
export async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}
