/**
 * The plain-Node baseline: the same Hono app as the worker (edge/app.ts, same routes, validation, PNG
 * writer) over onnxruntime-node, served by @hono/node-server, plus the /__bench routes. This is what a
 * user could self-host instead of the worker. Start it through `npm run bench`, or by hand:
 *   node --import tsx --import ./bench/node/register.mjs bench/node/server.ts --port 8798 --models models
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { MODEL_SPECS, float16File } from '../../core/contract';
import { createApp } from '../../edge/app';
import { EDGE_MODEL_IDS, ModelStore, type ModelFiles } from '../../edge/inference/model-store';
import { benchRoutes } from '../app/bench-routes';
import { countOutputTensors, liveTensors, tensorsCreated } from '../app/tensor-count';
import { nativeSessionsCreated, ort } from './native-ort';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8798' }, models: { type: 'string', default: 'models' } } });
const dir = resolve(values.models!);

/** The files edge/bundle.ts bundles, read from disk. */
function readModelFiles(): ModelFiles {
  const entries = EDGE_MODEL_IDS.map((id) => {
    const file = float16File(MODEL_SPECS[id].file);
    const bytes = readFileSync(join(dir, file));
    return [id, { file, bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer }];
  });
  return Object.fromEntries(entries) as ModelFiles;
}

const files = readModelFiles();
const manifest: unknown = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
countOutputTensors(ort);
const store = new ModelStore(files);
const started = performance.now();
await store.load();
const startupMs = performance.now() - started;
if (nativeSessionsCreated() !== EDGE_MODEL_IDS.length) {
  throw new Error(`expected ${EDGE_MODEL_IDS.length} onnxruntime-node sessions, got ${nativeSessionsCreated()}: start with --import ./bench/node/register.mjs`);
}

const app = createApp({ store, files, manifest });
app.route(
  '/__bench',
  benchRoutes(store, {
    memory: () => {
      const usage = process.memoryUsage();
      return { ortHeapBytes: null, jsHeapBytes: usage.heapUsed, jsHeapTotalBytes: usage.heapTotal, arrayBufferBytes: usage.arrayBuffers, rssBytes: usage.rss, liveTensors: liveTensors(), tensorsCreated: tensorsCreated() };
    },
    startupMs: () => startupMs,
  }),
);

serve({ fetch: app.fetch, port: Number(values.port), hostname: '127.0.0.1' });
