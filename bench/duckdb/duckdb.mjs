// Times the last statement of a SQL file in DuckDB (the others are setup), as
// `weir bench sql` does for Weir: node duckdb.mjs FILE THREADS RUNS ROWS
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const [file, threads, runs, rows] = process.argv.slice(2);
const stmts = readFileSync(file, 'utf8').split(';').map((s) => s.trim()).filter((s) => s.length);
const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const conn = await instance.connect();
for (const s of stmts.slice(0, -1)) await conn.run(s);
const query = stmts[stmts.length - 1];
await conn.runAndReadAll(query); // warm-up, as weir bench sql runs the statement once first
const wall = [], cpu = [];
let result;
for (let i = 0; i < Number(runs); i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const reader = await conn.runAndReadAll(query);
  wall.push((performance.now() - t0) / 1000);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1e6);
  result = reader.getRows();
}
const median = (v) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)];
const w = median(wall), c = median(cpu);
console.log(JSON.stringify({ file, threads: Number(threads), rows: Number(rows), seconds: w,
  cpu_seconds: c, rows_per_second: Math.round(rows / w), rows_per_cpu_second: Math.round(rows / c),
  result: result.map((r) => r.map(String)) }));
