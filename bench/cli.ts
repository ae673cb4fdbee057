/**
 * `npm run bench`: measures the worker (workerd under wrangler dev) against the same app on
 * onnxruntime-node, side by side in one run, and writes the tables to bench/RESULTS.md.
 * Stages: bundle size, model work and encoding inside each runtime, CPU ms per request (what Workers bill),
 * the largest requests, HTTP load per endpoint, bad input, a load run with memory sampling, cold starts.
 * See --help.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { recoverModelsDir } from '../core/models-dir';
import { Progress } from './lib/progress';
import { currentLoad, describeMachine } from './lib/machine';
import { directOrigin, startNodeBaseline, startWranglerDev, type Server } from './lib/processes';
import { REPO, prepareWorkspace } from './lib/workspace';
import { NODE, WORKER, renderReport, targets, type Results } from './report';
import { runBadInput } from './stages/bad-input';
import { measureBundle } from './stages/bundle-size';
import { runColdStart } from './stages/cold-start';
import { CPU_CASES, UPLOAD_CASES, runCpu } from './stages/cpu';
import { LOADS } from './stages/health-loads';
import { runHealthUnderLoad } from './stages/health-under-load';
import { runHttp } from './stages/http';
import { encodeCases, modelCases, runInference } from './stages/inference';
import { runSoak } from './stages/soak';
import { renderRegistry, runRegistry, type RegistryResult } from './stages/registry';
import { renderUploads, runUploads, type UploadResults } from './stages/uploads';
import { runWorstCase } from './stages/worst-case';

const STAGES = ['bundle', 'inference', 'cpu', 'worst', 'http', 'health', 'bad-input', 'load', 'cold', 'uploads', 'registry'] as const;
/** the stages that measure the two long-running servers (bundle and cold start bring up their own) */
const SERVER_STAGES: readonly Stage[] = STAGES.filter((s) => s !== 'bundle' && s !== 'cold' && s !== 'registry');
type Stage = (typeof STAGES)[number];

const program = new Command()
  .name('npm run bench --')
  .description(
    'Benchmark the edge worker against onnxruntime-node and a plain Node server on this machine, in one run,\n' +
      'and write the results (with machine, versions, commit and date) to a markdown file. Takes ~22 min\n' +
      '(5 of them the workerd load run); --quick ~5 min.\n' +
      'Starts its own servers on 127.0.0.1 ports 8790-8793 (inspector ports 9790-9793); run it on a quiet machine.',
  )
  .option('--models <dir>', 'models directory the workers bundle (a scratch copy of the sources is used unless it is models/)', 'models')
  .option('--out <file>', 'markdown file to write', 'bench/RESULTS.md')
  .option('--quick', 'short settings for development (fewer samples, 10 s load, 500 bad requests); marks the file as QUICK')
  .option('--only <stages>', `comma-separated subset of ${STAGES.join(',')}`)
  .option('--load-seconds <s>', 'length of the load run on each server (default: workerd 300, node 60; quick 10)')
  .option('--port-base <port>', 'first of the four ports (and inspector ports +1000) the bench servers use', '8790')
  .option('--bad-requests <n>', 'bad-input requests per server (default 5000, quick 500)')
  .option('--cpu-cases <text>', 'the cpu stage measures only the cases whose label contains this text (e.g. "idat-bomb")')
  .addHelpText('after', '\nExample: npm run bench                 (the committed results)\n         npm run bench -- --quick --models /tmp/provisional-models --out /tmp/bench.md');

program.parse();
const opts = program.opts<{ models: string; out: string; quick?: boolean; only?: string; loadSeconds?: string; badRequests?: string; portBase: string; cpuCases?: string }>();
const quick = Boolean(opts.quick);
const only = new Set<Stage>((opts.only ? opts.only.split(',') : STAGES) as Stage[]);
for (const s of only) if (!STAGES.includes(s)) program.error(`--only: unknown stage "${s}"; expected some of ${STAGES.join(', ')}`);
const cpuCases = [...CPU_CASES, ...UPLOAD_CASES].filter((c) => opts.cpuCases === undefined || c.label.includes(opts.cpuCases));
if (cpuCases.length === 0) program.error(`--cpu-cases: no cpu case's label contains "${opts.cpuCases}"; labels are like "${UPLOAD_CASES[0].label}"`);

const settings = {
  inference: quick ? { samples: 3, targetMs: 50, warmupMs: 300 } : { samples: 7, targetMs: 100, warmupMs: 1500 },
  http: quick ? { seconds: 1, metaSeconds: 1, rounds: 1 } : { seconds: 2, metaSeconds: 1, rounds: 3 },
  cpu: quick ? { rounds: 1, minMs: 300, minRequests: 5, warmup: 3 } : { rounds: 3, minMs: 1500, minRequests: 20, warmup: 10 },
  worstRepeats: quick ? 2 : 5,
  badRequests: Number(opts.badRequests ?? (quick ? 500 : 5000)),
  // workerd's RSS needs minutes to show whether it levels off; the Node baseline has been flat within a minute
  loadSeconds: {
    [WORKER]: Number(opts.loadSeconds ?? (quick ? 10 : 300)),
    [NODE]: Number(opts.loadSeconds ?? (quick ? 10 : 60)),
  } as Record<string, number>,
  coldRounds: quick ? 1 : 3,
  health: quick ? { clients: 8, seconds: 5 } : { clients: 16, seconds: 20 },
  uploads: quick ? { accuracyImages: 1000 } : { accuracyImages: 10_000 },
};
const PORT_BASE = Number(opts.portBase);
const PORTS = { worker: PORT_BASE, node: PORT_BASE + 1, cold: PORT_BASE + 2, probe: PORT_BASE + 3 };

const weights: Record<string, number> = {
  setup: 20,
  bundle: 15,
  inference: quick ? 25 : 80,
  cpu: cpuCases.length * 2 * settings.cpu.rounds * (settings.cpu.minMs / 1000 + 0.5) + 10,
  worst: 20,
  http: quick ? 90 : 420,
  'bad-input': quick ? 10 : 60,
  load: settings.loadSeconds[WORKER] + settings.loadSeconds[NODE] + 10,
  health: 8 * (settings.health.seconds + 7),
  cold: settings.coldRounds * 30,
  uploads: quick ? 30 : 150,
  registry: 60,
};
const progress = new Progress(Object.fromEntries(Object.entries(weights).filter(([k]) => k === 'setup' || only.has(k as Stage))));

async function main(): Promise<void> {
  const started = performance.now();
  // `npm run bench` has no prestart hook: repair an interrupted publish of models/ here, as `npm start` does
  for (const line of await recoverModelsDir(resolve(opts.models))) progress.log(`models: ${line}`);
  const workspace = prepareWorkspace(opts.models);
  const machine = describeMachine(REPO);
  const manifest = JSON.parse(readFileSync(join(workspace.modelsDir, 'manifest.json'), 'utf8')) as { run_id?: string };
  const results: Results = {
    machine,
    loadAtEnd: '',
    command: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
    modelsRunId: manifest.run_id ?? 'unknown',
    quick,
    minutes: 0,
  };
  progress.log(`models: ${workspace.modelsDir} (run ${results.modelsRunId})${workspace.scratch ? ', scratch copy of the sources' : ''}; load average ${machine.loadAverage}`);
  const servers: Server[] = [];
  let uploads: UploadResults | null = null;
  let registry: RegistryResult | null = null;
  const out = resolve(opts.out);
  const partial = out.replace(/\.md$/, '') + '.partial.md';
  const render = (): string => {
    results.loadAtEnd = currentLoad();
    results.minutes = (performance.now() - started) / 60_000;
    return renderReport(results) + (uploads ? '\n' + renderUploads(uploads) : '') + (registry ? '\n' + renderRegistry(registry) : '');
  };
  // after every stage the tables so far go to a side file, so one failing stage cannot lose a 20-minute run
  const checkpoint = (stage: string): void => {
    writeAtomically(partial, `> PARTIAL: stages up to "${stage}" of ${[...only].join(', ')}; the run has not finished.\n\n${render()}`);
    progress.end();
  };
  try {
    if (only.has('bundle')) {
      progress.begin('bundle: wrangler deploy --dry-run');
      results.bundle = measureBundle(workspace.root);
      checkpoint('bundle');
    }
    const needServers = SERVER_STAGES.some((s) => only.has(s));
    if (needServers) {
      progress.begin('setup: starting wrangler dev (bench worker) and the Node baseline');
      const worker = await startWranglerDev(WORKER, workspace.root, 'bench/worker/wrangler.jsonc', PORTS.worker);
      servers.push(worker);
      const node = await startNodeBaseline(workspace.root, workspace.modelsDir, PORTS.node);
      servers.push(node);
      for (const s of servers) await s.identifyRuntime('/v1/generate?seed=1&n=64');
      progress.log(`runtime processes: workerd pid ${worker.runtimePid()}, node pid ${node.runtimePid()}`);
      progress.end();
      const runtimes = [
        { name: WORKER, origin: worker.origin, pid: worker.runtimePid() },
        { name: NODE, origin: node.origin, pid: node.runtimePid() },
      ];
      if (only.has('inference')) {
        progress.begin('1. model work and encoding inside each runtime');
        results.inference = await runInference(modelCases(), runtimes, settings.inference, progress);
        results.encoding = await runInference(encodeCases(), runtimes, settings.inference, progress);
        checkpoint('inference');
      }
      if (only.has('cpu')) {
        progress.begin('CPU ms per request (process CPU time over sequential requests)');
        results.cpu = await runCpu(runtimes, cpuCases, settings.cpu, progress);
        checkpoint('cpu');
      }
      if (only.has('worst')) {
        progress.begin('5. largest allowed requests');
        results.worst = await runWorstCase(runtimes, settings.worstRepeats);
        checkpoint('worst');
      }
      if (only.has('http')) {
        progress.begin('2. HTTP load per endpoint (autocannon)');
        results.http = await runHttp(runtimes, settings.http, progress);
        checkpoint('http');
      }
      if (only.has('health')) {
        progress.begin(`6. /health while ${settings.health.clients} clients saturate the heavy endpoints`);
        results.healthUnderLoad = [];
        for (const load of LOADS) {
          for (const r of runtimes) results.healthUnderLoad.push(await runHealthUnderLoad(r.name, r.origin, settings.health, progress, load, r.name === WORKER ? 'proxy' : undefined));
        }
        // the hostile load and its control once more straight to workerd: how much of the latency is wrangler dev's proxy
        const direct = worker.runtimePid() === null ? null : await directOrigin(worker.runtimePid()!);
        if (direct) for (const load of ['hostile', 'light'] as const) results.healthUnderLoad.push(await runHealthUnderLoad(WORKER, direct, settings.health, progress, load, 'direct'));
        else progress.log('workerd\'s own port not found (/proc/<pid>/net/tcp); the hostile load ran through the proxy only');
        checkpoint('health');
      }
      if (only.has('bad-input')) {
        progress.begin(`robustness: ${settings.badRequests} bad requests per server`);
        results.badInput = [];
        for (const r of runtimes) results.badInput.push(await runBadInput(r.name, r.origin, settings.badRequests, 2024, progress));
        checkpoint('bad-input');
      }
      if (only.has('load')) {
        progress.begin(`robustness: load with memory sampling (workerd ${settings.loadSeconds[WORKER]} s, node ${settings.loadSeconds[NODE]} s)`);
        results.soak = [];
        for (const s of [worker, node]) {
          const name = s === worker ? WORKER : NODE;
          const soak = await runSoak(name, s.origin, s.runtimePid(), settings.loadSeconds[name], progress);
          // when requests failed, what the server printed says why
          if (soak.non2xx + soak.errors > 0) soak.logTail = s.output().slice(-3000);
          results.soak.push(soak);
        }
        checkpoint('load');
      }
      if (only.has('uploads')) {
        progress.begin('uploads: MNIST test images through POST /v1/classify');
        uploads = await runUploads(worker.origin, workspace.modelsDir, settings.uploads, progress);
        checkpoint('uploads');
      }
      for (const s of servers.splice(0)) await s.stop();
    }
    if (only.has('cold')) {
      progress.begin(`3. cold start, ${settings.coldRounds} round(s)`);
      results.cold = await runColdStart(workspace.root, workspace.modelsDir, settings.coldRounds, { worker: PORTS.cold, probe: PORTS.probe, node: PORTS.node }, progress);
      checkpoint('cold');
    }
    if (only.has('registry')) {
      progress.begin('registry: first request per version, memory per open set');
      registry = await runRegistry(workspace.root, PORTS.cold, progress);
      checkpoint('registry');
    }
  } finally {
    for (const s of servers) await s.stop();
    workspace.dispose();
  }
  const markdown = render();
  writeAtomically(out, markdown);
  rmSync(partial, { force: true });
  process.stderr.write('\n');
  process.stdout.write(markdown);
  const missed = targets(results).filter((t) => t.met === false);
  process.stderr.write(`\nwrote ${relative(process.cwd(), out)}; ${missed.length ? `targets missed: ${missed.map((t) => t.what).join('; ')}` : 'all targets met'}\n`);
}

/** Write beside, then move into place: a reader never sees half a file. */
function writeAtomically(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

main().catch((err: unknown) => {
  process.stderr.write(`\nbench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
