/**
 * The deploy gate (edge/cli/deploy-gate.ts, wrangler.jsonc build.command) on a temporary copy of the project
 * whose models/ is a set published with --force under a quality floor: each way of deploying that skipped the
 * old npm predeploy hook is refused before wrangler bundles anything. A set that meets the floors builds, and
 * a real deploy without credentials stops at the credentials check with how to set CLOUDFLARE_API_TOKEN,
 * before any test runs. The repository's own models/ are never touched.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishModels } from '../../training/publish';
import { makeStagedSet, passingMetrics } from '../training/model-sets';

const REPO = process.cwd();
const PROJECT_FILES = ['package.json', 'wrangler.jsonc', 'tsconfig.json', 'edge', 'core', 'public'];

/** The environment of a person without Cloudflare credentials, outside any wrangler command. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' };
  for (const key of Object.keys(env)) if (/^(CLOUDFLARE_|WRANGLER_COMMAND$|npm_)/.test(key)) delete env[key];
  return env;
}

function run(cwd: string, file: string, args: string[], env = cleanEnv()) {
  return promisify(execFile)(file, args, { cwd, env, timeout: 180_000, maxBuffer: 16 << 20 }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

let root = '';
/** A copy of the project (node_modules linked) whose models/ is a published set with `metrics`. */
async function project(name: string, metrics: Record<string, unknown>): Promise<string> {
  const dir = join(root, name);
  for (const file of PROJECT_FILES) await cp(join(REPO, file), join(dir, file), { recursive: true });
  await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  const staged = join(root, `${name}-staged`);
  const manifest = await makeStagedSet(staged, `run-${name}`, metrics);
  await publishModels({ fromDir: staged, modelsDir: join(dir, 'models'), manifest, force: true });
  return dir;
}

let forced = '';
let passing = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'deploy-gate-'));
  const under = passingMetrics();
  (under.cgan as Record<string, unknown>).per_digit_accuracy = [0.99, 0.99, 0.99, 0.99, 0.99, 0.62, 0.99, 0.99, 0.66, 0.99];
  forced = await project('forced', under);
  passing = await project('passing', passingMetrics());
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Refused by the gate's floors check, and nothing was bundled. */
function expectRefusedForFloors(res: { code: number; out: string }) {
  expect(res.code, res.out).not.toBe(0);
  expect(res.out).toContain('refusing to deploy: models/ (run run-forced (it was published with --force)) misses 2 quality floor(s)');
  expect(res.out).toContain('metrics.cgan.per_digit_accuracy[5] = 0.62 misses the floor >= 0.95');
  expect(res.out).not.toContain('Total Upload');
}

describe('the deploy gate refuses a set under the floors however the deploy is started', () => {
  it('npx wrangler deploy --dry-run', async () => {
    expectRefusedForFloors(await run(forced, 'npx', ['wrangler', 'deploy', '--dry-run']));
  });

  it('npm run deploy --ignore-scripts', async () => {
    expectRefusedForFloors(await run(forced, 'npm', ['run', 'deploy', '--ignore-scripts']));
  });

  it('npm run deploy with ignore-scripts=true in .npmrc', async () => {
    await writeFile(join(forced, '.npmrc'), 'ignore-scripts=true\n');
    try {
      expectRefusedForFloors(await run(forced, 'npm', ['run', 'deploy']));
    } finally {
      await rm(join(forced, '.npmrc'));
    }
  });

  it('the gate run without a wrangler command name gates (it fails closed); under wrangler dev it does nothing', async () => {
    const gate = ['--import', 'tsx', 'edge/cli/deploy-gate.ts'];
    expectRefusedForFloors(await run(forced, process.execPath, gate));
    const dev = await run(forced, process.execPath, gate, { ...cleanEnv(), WRANGLER_COMMAND: 'dev' });
    expect(dev).toEqual({ code: 0, out: 'deploy gate: wrangler dev ships nothing, no gate\n' });
  });
});

describe('a set that meets the floors', () => {
  it('builds in a dry run (the refusals above are the gate\'s)', async () => {
    const res = await run(passing, 'npx', ['wrangler', 'deploy', '--dry-run']);
    expect(res.code, res.out).toBe(0);
    expect(res.out).toContain('deploy gate: models/ complete, consistent and above every quality floor');
    expect(res.out).toContain('Total Upload');
  });

  it('a real deploy without credentials stops at the credentials check, saying how to set CLOUDFLARE_API_TOKEN, before any test', async () => {
    const res = await run(passing, 'npm', ['run', 'deploy']);
    expect(res.code, res.out).not.toBe(0);
    expect(res.out).toContain('refusing to deploy: no Cloudflare credentials');
    expect(res.out).toContain('Set CLOUDFLARE_API_TOKEN');
    expect(res.out).toContain('npx wrangler login');
    expect(res.out).not.toContain('running the tests');
    expect(res.out).not.toContain('Total Upload');
  });
});
