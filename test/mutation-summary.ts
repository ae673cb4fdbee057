/**
 * `npx tsx test/mutation-summary.ts [report.json ...] > section.md`: the per-file table and the list of
 * surviving mutants of one or more StrykerJS JSON reports (mutation-testing-report-schema), for
 * reports/mutation/SUMMARY.md. Score = (killed + timed out) / (all - ignored - compile errors), Stryker's own
 * definition. Default input: reports/mutation/mutation.json.
 */
import { readFileSync } from 'node:fs';

interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

const inputs = process.argv.slice(2);
const files = new Map<string, { source: string; mutants: Mutant[] }>();
for (const path of inputs.length ? inputs : ['reports/mutation/mutation.json']) {
  const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
  for (const [name, file] of Object.entries(report.files)) files.set(name, file);
}

const count = (ms: Mutant[], status: string): number => ms.filter((m) => m.status === status).length;
const rows: string[] = [];
const survivors: string[] = [];
let totalDetected = 0;
let totalValid = 0;
for (const [name, { source, mutants }] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
  const killed = count(mutants, 'Killed');
  const timeout = count(mutants, 'Timeout');
  const survived = count(mutants, 'Survived');
  const noCoverage = count(mutants, 'NoCoverage');
  const ignored = count(mutants, 'Ignored');
  const valid = mutants.length - ignored - count(mutants, 'CompileError') - count(mutants, 'RuntimeError');
  totalDetected += killed + timeout;
  totalValid += valid;
  const score = valid ? `${((100 * (killed + timeout)) / valid).toFixed(1)} %` : 'n/a';
  rows.push(`| ${name} | ${score} | ${killed} | ${timeout} | ${survived} | ${noCoverage} | ${ignored} |`);
  const lines = source.split('\n');
  for (const m of mutants.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage')) {
    const { line } = m.location.start;
    const original = (lines[line - 1] ?? '').trim().slice(0, 90);
    const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 60);
    survivors.push(`- ${name}:${line} ${m.status === 'NoCoverage' ? '(no coverage) ' : ''}${m.mutatorName} \`${original}\` -> \`${replacement}\``);
  }
}

const total = totalValid ? `${((100 * totalDetected) / totalValid).toFixed(1)} %` : 'n/a';
process.stdout.write(
  [
    '| file | mutation score | killed | timed out | survived | no coverage | ignored (static) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    `| **all** | **${total}** | | | | | |`,
    '',
    `Surviving and uncovered mutants (${survivors.length}):`,
    '',
    ...survivors,
    '',
  ].join('\n'),
);
