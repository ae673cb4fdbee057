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
      // before repair, a kill between the renames leaves no models/ at all: check-models restores it
      const cli = await run(TSX, ['edge/cli/check-models.ts', '--dir', dir]);
      if (f.steps[k - 1] === 'rename models -> previous') expect(cli.stdout).toMatch(/restored .* \(a publish was interrupted between its two renames\)/);
      outcomes.push(await f.expectOneWholeSet(dir, `killed after ${f.steps[k - 1]}`));
      await rm(join(f.root, `kill-${k}`), { recursive: true, force: true });
    }
    expect(outcomes).toContain('old');
    expect(outcomes).toContain('new');
  }, 300_000);

});
