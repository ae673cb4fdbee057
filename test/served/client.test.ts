/**
 * The OpenAPI document as a third party uses it: Redocly's recommended ruleset finds no errors, a
 * client generated from the live /openapi.json by openapi-typescript (types) + openapi-fetch (calls)
 * reaches every operation, and every response seen validates against the document (contract.ts).
 *
 * The generated types are committed (test/served/generated/openapi.ts) so that `npm run typecheck`
 * checks this file's calls against them; the first test fails when the live document would generate
 * something else. To refresh after changing the API: UPDATE_OPENAPI_CLIENT=1 npx vitest run --project served test/served/client.test.ts
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import createClient from 'openapi-fetch';
import openapiTS from 'openapi-typescript';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { Contract } from './contract';
import type { paths } from './generated/openapi';

const base = inject('workerUrl');
const ROOT = resolve(import.meta.dirname, '../..');
const GENERATED = resolve(import.meta.dirname, 'generated/openapi.ts');

let doc: Record<string, any>;
let contract: Contract;
const problems: string[] = [];
const seen: string[] = [];

/** The JSON branch of a body typed image/png | application/json (the request asked for format=json). */
function jsonOf<T>(data: T): Exclude<T, string | undefined> {
  if (typeof data === 'string' || data === undefined) throw new Error(`expected a JSON body, got ${typeof data}`);
  return data as Exclude<T, string | undefined>;
}

/** fetch for the generated client that also holds every response to the document. */
async function checkedFetch(input: Request): Promise<Response> {
  const res = await fetch(input);
  const body = new Uint8Array(await res.clone().arrayBuffer());
  const url = new URL(input.url);
  seen.push(`${input.method} ${url.pathname} ${res.status}`);
  problems.push(...contract.check(input.method, url.pathname + url.search, res, body));
  return res;
}

beforeAll(async () => {
  doc = (await (await fetch(`${base}/openapi.json`)).json()) as Record<string, any>;
  contract = new Contract(doc);
});

describe('the OpenAPI document', () => {
  it('generates exactly the committed client types (openapi-typescript)', async () => {
    const generated = await openapiTS(doc as never);
    if (process.env.UPDATE_OPENAPI_CLIENT) writeFileSync(GENERATED, generated);
    expect(generated, 'the API changed: regenerate with UPDATE_OPENAPI_CLIENT=1 (see this file\'s header)').toBe(
      readFileSync(GENERATED, 'utf8'),
    );
    // what generators trip on: an untyped manifest, a free-string error code
    expect(generated).toMatch(/code: "invalid_parameter" \| "unknown_parameter"/);
    expect(generated).toMatch(/Manifest: \{\s*\/\*\* @enum \{number\} \*\/\s*schema_version: 1;|Manifest: \{[\s\S]{0,200}schema_version/);
  });

  it('passes Redocly\'s recommended ruleset with no errors', { timeout: 120_000 }, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const cli = resolve(ROOT, 'node_modules/@redocly/cli/bin/cli.js');
    const out = await promisify(execFile)(process.execPath, [cli, 'lint', file, '--format=json', '--extends=recommended'], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      maxBuffer: 10 * 1024 * 1024,
    }).catch((err: { stdout: string; stderr: string }) => err);
    const report = JSON.parse(out.stdout.slice(out.stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
    };
    const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
    // the one accepted warning: /health has no 4xx (it takes no input it could reject)
    const warnings = report.problems.filter((p) => p.severity === 'warn').map((p) => `${p.ruleId} at ${p.location[0]?.pointer}`);
    expect(warnings).toEqual(['operation-4xx-response at #/paths/~1health/get/responses']);
  });

  it('the response check catches undocumented statuses, bad bodies and bad header values', () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    const error = '{"error":{"code":"no_such_code","message":"x"}}';
    const json = { 'Content-Type': 'application/json' };
    expect(contract.check('GET', '/v1/generate', new Response(error, { status: 400, headers: json }), bytes(error))).toEqual([
      expect.stringMatching(/body: .*must be equal to one of the allowed values/),
    ]);
    expect(contract.check('GET', '/health', new Response('{}', { status: 418, headers: json }), bytes('{}'))).toEqual([
      expect.stringMatching(/status not documented/),
    ]);
    const png = new Response('x', { status: 200, headers: { 'Content-Type': 'image/png', 'X-Seed': 'abc', 'X-Secret': '1' } });
    expect(contract.check('GET', '/v1/generate?seed=1', png, bytes('x'))).toEqual([expect.stringMatching(/header x-seed: "abc" .*must be integer/)]);
    const teapot = new Response('x', { status: 200, headers: { 'Content-Type': 'image/gif' } });
    expect(contract.check('GET', '/v1/generate', teapot, bytes('x'))).toEqual([expect.stringMatching(/content-type image\/gif not documented/)]);
  });

  it('has a unique operationId on every operation', () => {
    const ids = Object.values(doc.paths).flatMap((item: any) => Object.values(item).map((op: any) => op.operationId));
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('a generated client (openapi-fetch) calling every operation', () => {
  const client = () => createClient<paths>({ baseUrl: base, fetch: checkedFetch });

  it('calls every operation, and every response matches the document', { timeout: 120_000 }, async () => {
    const api = client();
    const health = await api.GET('/health');
    expect(health.data?.status).toBe('ok');
    const version = health.data!.model_version;

    const models = await api.GET('/v1/models');
    expect(models.data?.served.version).toBe(version);
    expect(models.data?.schema_version).toBe(1);

    const samples = await api.GET('/v1/generate', { params: { query: { seed: 4294967295, n: 2, format: 'json', v: version } } });
    expect(jsonOf(samples.data).seed).toBe(4294967295);
    expect(jsonOf(samples.data).images).toHaveLength(2);
    const png = await api.GET('/v1/generate', { params: { query: { seed: 1, scale: 2 } }, parseAs: 'arrayBuffer' });
    expect(png.response.headers.get('Content-Type')).toBe('image/png');

    const digits = await api.GET('/v1/digits/{digit}', { params: { path: { digit: 7 }, query: { seed: 3, format: 'json' } } });
    expect(jsonOf(digits.data).digit).toBe(7);

    const path = await api.GET('/v1/interpolate', { params: { query: { from: 1, to: 2, steps: 3, digit_from: 3, format: 'json' } } });
    expect(jsonOf(path.data)).toMatchObject({ from: 1, to: 2, steps: 3, digit_from: 3, digit_to: 3 });

    // the upload operations, with a generated digit as the picture (binary bodies pass through unserialised)
    const picture = png.data as ArrayBuffer;
    const upload = { body: picture as unknown as string, bodySerializer: (b: unknown) => b as BodyInit, headers: { 'Content-Type': 'image/png' } };
    const classified = await api.POST('/v1/classify', upload);
    expect(classified.data?.probabilities).toHaveLength(10);
    const encoded = await api.POST('/v1/encode', { ...upload, params: { query: { format: 'json' } } });
    expect(jsonOf(encoded.data).latent).toHaveLength(16);
    const walk = await api.POST('/v1/interpolate', { ...upload, params: { query: { to_seed: 2, steps: 3, format: 'json' } } });
    expect(jsonOf(walk.data).images).toHaveLength(3);

    const page = await api.GET('/', { parseAs: 'text' });
    expect(page.data).toContain('<title>Latent Digits</title>');
    const document = await api.GET('/openapi.json');
    expect(document.data).toMatchObject({ openapi: '3.1.0' });

    // documented errors arrive typed
    const bad = await api.GET('/v1/generate', { params: { query: { n: 65 } } });
    expect(bad.error?.error.code).toBe('invalid_parameter');
    const stale = await api.GET('/v1/generate', { params: { query: { seed: 1, v: version === '000000000000' ? '111111111111' : '000000000000' } } });
    expect(stale.error?.error.code).toBe('unknown_version');
    const fashion = await api.GET('/v1/digits/{digit}', { params: { path: { digit: 3 }, query: { seed: 1, dataset: 'fashion-mnist', format: 'json' } } });
    expect(fashion.data).toMatchObject({ class_name: 'Dress', dataset: 'fashion-mnist' });
    const refused = await api.GET('/v1/digits/{digit}', {
      params: { path: { digit: 2 }, query: { seed: 1 } },
      headers: { Accept: 'image/webp' },
    });
    expect(refused.error?.error.code).toBe('not_acceptable');
    const notModified = await api.GET('/v1/generate', {
      params: { query: { seed: 1, scale: 2 } },
      headers: { 'If-None-Match': png.response.headers.get('ETag')! },
      parseAs: 'stream',
    });
    expect(notModified.response.status).toBe(304);

    const operations = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item as object).map((m) => `${m.toUpperCase()} ${p}`));
    for (const op of operations) {
      const [method, template] = op.split(' ');
      expect(seen.some((s) => s.startsWith(`${method} `) && contract.template(s.split(' ')[1]) === template), op).toBe(true);
    }
    expect(problems).toEqual([]);
  });

  it('HEAD responses carry the documented headers of GET', async () => {
    for (const p of ['/v1/generate?seed=2&n=4', '/v1/models', '/health', '/']) {
      const head = await fetch(`${base}${p}`, { method: 'HEAD' });
      const get = await fetch(`${base}${p}`);
      const body = new Uint8Array(await get.arrayBuffer());
      expect(head.status, p).toBe(200);
      expect(contract.check('HEAD', p, head, new Uint8Array())).toEqual([]);
      expect(contract.check('GET', p, get, body)).toEqual([]);
      if (head.headers.has('content-length')) expect(Number(head.headers.get('content-length')), p).toBe(body.length);
    }
  });
});
