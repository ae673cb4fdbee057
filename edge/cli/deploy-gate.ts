/**
 * The deploy gate, run by wrangler itself: wrangler.jsonc's `build.command` runs this before wrangler bundles
 * the worker, for `wrangler deploy` (however started: `npm run deploy`, with `--ignore-scripts` or an .npmrc
 * `ignore-scripts=true`, `npx wrangler deploy`), `wrangler versions upload` and their `--dry-run`s. An npm
 * `predeploy` hook could be skipped by any of those; a failing build command cannot (wrangler stops).
 *
 * wrangler names its command in WRANGLER_COMMAND for the build command. Under `wrangler dev` (`npm start`,
 * the served tests) it only repairs an interrupted publish of models/ (recoverModelsDir, milliseconds, run for
 * every command) and exits: nothing ships. Anything else, an unknown or missing name included,
 * is gated, in order of cost:
 *   1. the models: check-models --floors (complete, consistent, every quality floor met), a second;
 *   2. a dry run (`--dry-run` on the wrangler command line) stops here: it uploads nothing and needs no account;
 *   3. credentials: CLOUDFLARE_API_TOKEN, else `wrangler whoami`, ~10 s, so a deploy without them fails fast;
 *   4. the tests a deploy needs: vitest on test/export, test/worker, test/served, test/browser (~3.5 min).
 * `--help` prints this.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { recoverModelsDir } from '../../core/models-dir';
import { checkModels, MODELS_DIR } from './check-models';

const ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER = resolve(ROOT, 'node_modules/wrangler/bin/wrangler.js');
/** wrangler commands that run the build but ship nothing */
const NOT_SHIPPING = new Set(['dev', 'types']);
const DEPLOY_TESTS = ['test/export', 'test/worker', 'test/served', 'test/browser'];

export const CREDENTIALS_MESSAGE =
  'refusing to deploy: no Cloudflare credentials (checked before the tests, which take minutes).\n' +
  'Set CLOUDFLARE_API_TOKEN to an API token made from the "Edit Cloudflare Workers" template at\n' +
  'https://dash.cloudflare.com/profile/api-tokens (and CLOUDFLARE_ACCOUNT_ID if the token reaches more than one\n' +
  'account), e.g. `CLOUDFLARE_API_TOKEN=... npm run deploy`; or log in once with `npx wrangler login`.';

/**
 * The command line of the nearest wrangler process above this one (the build command runs under a shell
 * under wrangler), or null when none is found: `ps` is how both Linux and macOS tell a parent's arguments.
 */
export function wranglerCommandLine(pid = process.ppid): string | null {
  for (let hops = 0; pid > 1 && hops < 12; hops++) {
    let line: string;
    try {
      line = execFileSync('ps', ['-o', 'ppid=', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
    const [, parent, args] = /^(\d+)\s+(.*)$/.exec(line) ?? [];
    if (args === undefined) return null;
    if (/wrangler/.test(args) && /\s(deploy|versions)\b/.test(args)) return args;
    pid = Number(parent);
  }
  return null;
}

function hasCredentials(): boolean {
  if (process.env.CLOUDFLARE_API_TOKEN) return true;
  const whoami = spawnSync(process.execPath, [WRANGLER, 'whoami'], { encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }, timeout: 60_000 });
  return whoami.status === 0 && !/not authenticated/i.test(whoami.stdout + whoami.stderr);
}

function refuse(message: string): never {
  console.error(message);
  process.exit(1);
}

async function gate(): Promise<void> {
  const command = process.env.WRANGLER_COMMAND;
  for (const line of await recoverModelsDir(MODELS_DIR)) console.log(`deploy gate: ${line}`);
  if (command !== undefined && NOT_SHIPPING.has(command)) {
    console.log(`deploy gate: wrangler ${command} ships nothing, no gate`);
    return;
  }
  const problems = await checkModels({ floors: true, log: (l) => console.log(l) });
  if (problems.length > 0) refuse(problems.join('\n'));
  console.log('deploy gate: models/ complete, consistent and above every quality floor');
  if (/\s--dry-run\b/.test(wranglerCommandLine() ?? '')) {
    console.log('deploy gate: a dry run uploads nothing; credentials and tests are checked by a real deploy');
    return;
  }
  if (!hasCredentials()) refuse(CREDENTIALS_MESSAGE);
  console.log(`deploy gate: running the tests a deploy needs (vitest run ${DEPLOY_TESTS.join(' ')}, a few minutes)`);
  const tests = spawnSync(process.execPath, [resolve(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', ...DEPLOY_TESTS], { cwd: ROOT, stdio: 'inherit' });
  if (tests.status !== 0) refuse(`refusing to deploy: the tests failed (vitest exited with ${tests.status ?? tests.signal})`);
}

if (process.argv.includes('--help')) {
  console.log(
    'usage: tsx edge/cli/deploy-gate.ts   (run by wrangler as wrangler.jsonc build.command)\n' +
      'Under `wrangler dev` it does nothing. Before `wrangler deploy` / `versions upload`: check-models --floors;\n' +
      'then, unless --dry-run: Cloudflare credentials (CLOUDFLARE_API_TOKEN or `wrangler login`), then the tests.',
  );
} else {
  await gate();
}
