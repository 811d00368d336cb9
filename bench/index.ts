/**
 * npm run bench: runs every benchmark module listed here and prints a readable table for each. To add one, write
 * bench/NAME.bench.ts exporting `benchmarks: Benchmark[]` and add its path to MODULES.
 * Options: `npm run bench -- FILTER` runs only benchmarks whose name contains FILTER.
 */
import { printTable, type Benchmark } from './harness.js';

const MODULES: string[] = ['./protocol.bench.js', './license-server.bench.js'];

async function main(): Promise<void> {
  const filter = process.argv[2]?.toLowerCase();
  process.stdout.write(`rdp-licensing benchmarks (node ${process.version}, ${new Date().toISOString()})\n\n`);
  for (const path of MODULES) {
    const mod = (await import(path)) as { benchmarks: Benchmark[] };
    for (const b of mod.benchmarks) {
      if (filter && !b.name.toLowerCase().includes(filter)) continue;
      const rows = await b.run();
      process.stdout.write(printTable(b.name, rows) + '\n');
    }
  }
}

await main();
