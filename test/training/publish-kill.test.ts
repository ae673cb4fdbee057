/**
 * Crash-safe publishing with real crashes: a child process publishes and SIGKILLs itself right after each
 * of the publish's file operations in turn; check-models (as `npm start` / `npm run deploy` run it) then
 * finds exactly the old set or exactly the new one, consistent and loadable (publish-fixture.ts).
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelsDirProblems } from '../../core/models-dir';
import { publishFixture, type PublishFixture } from './publish-fixture';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
let f: PublishFixture;

beforeAll(async () => {
  f = await publishFixture();
}, 120_000);
afterAll(async () => {
  await f.cleanup();
});

describe('crash-safe publishing, killed', () => {
  it('a publish SIGKILLed after any file operation leaves a set that check-models accepts', async () => {
    const manifestFile = f.manifestFile;
    const outcomes: Array<'old' | 'new'> = [];
    for (let k = 1; k <= f.steps.length; k++) {
      const dir = await f.oldModels(`kill-${k}`);
      // node itself (not the tsx wrapper, which would turn the signal into an exit code) is the killed process
      const child = await run(process.execPath, ['--import', 'tsx', 'test/training/fixtures/publish-then-die.ts', f.fromDir, manifestFile, dir, String(k)]).catch((e) => e);
      expect(child.signal, `child at step ${k}`).toBe('SIGKILL');
      expect(child.stdout.trim().split('\n').at(-1)).toBe(`step ${k}: ${f.steps[k - 1]}`);
      // before any repair (what `npx wrangler dev` or a reader would see): models/ is one whole set
      expect(await modelsDirProblems(dir), `no repair yet, killed after ${f.steps[k - 1]}`).toEqual([]);
      const cli = await run(TSX, ['edge/cli/check-models.ts', '--dir', dir]);
      expect(cli.stdout).toMatch(/removed .*\.models\.lock \(its publish, pid \d+, is gone\)/);
      outcomes.push(await f.expectOneWholeSet(dir, `killed after ${f.steps[k - 1]}`));
      await rm(join(f.root, `kill-${k}`), { recursive: true, force: true });
    }
    expect(outcomes).toContain('old');
    expect(outcomes).toContain('new');
  }, 300_000);

  it('12 publishes at once are serialised by the lock: all succeed (no ENOTEMPTY / ENOENT on a shared staging), models/ ends one whole set', async () => {
    const dir = await f.oldModels('concurrent');
    const runs = await Promise.all(
      Array.from({ length: 12 }, () => run(process.execPath, ['--import', 'tsx', 'test/training/fixtures/publish-then-die.ts', f.fromDir, f.manifestFile, dir, '0']).catch((e) => e)),
    );
    for (const [i, r] of runs.entries()) expect(r.stdout?.trim().split('\n').at(-1), `publish ${i}: ${r.stderr ?? ''}`).toBe('published');
    expect(await f.expectOneWholeSet(dir, 'after 12 concurrent publishes')).toBe('new');
  }, 300_000);
});
