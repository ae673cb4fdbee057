/**
 * The upload endpoints as a client sees them (wrangler dev, over HTTP): real MNIST test images posted to
 * /v1/classify?classifier=study are classified as accurately as the study reports (models/manifest.json
 * metrics.classifier.served.test_accuracy) and as onnxruntime-node classifies the same raw pixels (the
 * default classifier, the recognizer, is tested in recognition.test.ts); a
 * photo-sized JPEG of a digit is read correctly; the demo page's static files carry a strict CSP.
 * `npm run bench` posts all 10,000 test images (bench/stages/uploads.ts).
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeGreyPng } from '../../core/png';
import { photoJpeg } from '../../bench/stages/uploads';
import { digitAt, mnistTest } from '../edge/mnist-fixtures';
import { MODELS_DIR, nativeClasses } from './models';
import { hostileCases } from '../robustness/hostile-cases';

const base = inject('workerUrl');
/** Test images posted: the first COUNT of the 10,000 (the bench posts all of them). */
const COUNT = 400;
const CONCURRENCY = 4;

const set = mnistTest(COUNT);

function servedAccuracy(): number {
  const manifest = JSON.parse(readFileSync(resolve(MODELS_DIR, 'manifest.json'), 'utf8'));
  const value = manifest?.metrics?.classifier?.served?.test_accuracy;
  if (typeof value !== 'number') throw new Error('models/manifest.json lacks metrics.classifier.served.test_accuracy (the served classifier\'s MNIST test accuracy)');
  return value;
}

async function classify(bytes: Uint8Array, type: string): Promise<number> {
  const res = await fetch(`${base}/v1/classify?classifier=study`, { method: 'POST', body: bytes as BodyInit, headers: { 'Content-Type': type } });
  if (res.status !== 200) throw new Error(`/v1/classify answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { digit: number }).digit;
}

describe('MNIST test images through POST /v1/classify?classifier=study', () => {
  let served: number[];
  let native: number[];

  beforeAll(async () => {
    native = await nativeClasses(set.images, COUNT);
    served = new Array(COUNT);
    let next = 0;
    const worker = async () => {
      while (next < COUNT) {
        const i = next++;
        served[i] = await classify(await encodeGreyPng(digitAt(set, i), 28, 28), 'image/png');
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }, 300_000);

  const accuracy = (predictions: number[]) => predictions.filter((d, i) => d === set.labels[i]).length / COUNT;

  it('agrees with the classifier run natively on the raw pixels (the normalisation leaves MNIST digits as they are)', () => {
    const agree = served.filter((d, i) => d === native[i]).length / COUNT;
    expect(agree).toBeGreaterThanOrEqual(0.99);
    expect(Math.abs(accuracy(served) - accuracy(native))).toBeLessThanOrEqual(0.005);
  });

  it('is as accurate as the manifest reports, within sampling error of the first images', () => {
    const reported = servedAccuracy();
    // three binomial standard errors for COUNT images: ~0.04 at 0.9; the bench checks all 10,000 to 0.005
    const tolerance = 3 * Math.sqrt((reported * (1 - reported)) / COUNT);
    console.log(`[uploads] /v1/classify on the first ${COUNT} MNIST test images: ${accuracy(served).toFixed(4)} (native ${accuracy(native).toFixed(4)}, manifest ${reported} on all 10,000)`);
    expect(Math.abs(accuracy(served) - reported)).toBeLessThanOrEqual(tolerance);
  });
});

describe('a photo-sized JPEG', () => {
  it('1024x1024, dark ink on uneven noisy paper, is read as its digit', async () => {
    const native = await nativeClasses(set.images, COUNT);
    // the first test images the classifier gets right on raw pixels, each drawn as a "photo"
    const picks = [...set.labels.keys()].filter((i) => native[i] === set.labels[i]).slice(0, 3);
    for (const i of picks) {
      const bytes = photoJpeg(digitAt(set, i));
      expect(bytes.length).toBeLessThan(2 * 1024 * 1024);
      expect(await classify(bytes, 'image/jpeg'), `test image ${i}`).toBe(set.labels[i]);
    }
  });
});

describe('the demo page as static assets', () => {
  it('/ is the HTML file with a strict CSP: scripts and styles only from files, no inline script', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
    const csp = res.headers.get('Content-Security-Policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/app.js"></script>');
    expect(html.match(/<script\b[^>]*>[^<]+<\/script>/)).toBeNull(); // no inline script bodies
    expect(html).not.toMatch(/\son[a-z]+=/i); // no inline event handlers
    expect(html).not.toMatch(/\sstyle=/i);
  });

  it('serves the script module and the stylesheet; the API paths stay with the worker', async () => {
    const js = await fetch(`${base}/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('Content-Type')).toMatch(/javascript/);
    const css = await fetch(`${base}/style.css`);
    expect(css.headers.get('Content-Type')).toMatch(/^text\/css/);
    const health = await fetch(`${base}/health`);
    expect(health.headers.get('Content-Type')).toMatch(/^application\/json/);
  });
});

describe('an oversized chunked upload over real HTTP (wrangler dev)', () => {
  const MB3 = 3 * 1024 * 1024;

  async function nextRequestIsAnswered(): Promise<void> {
    const seven = await encodeGreyPng(digitAt(set, 0), 28, 28);
    const res = await fetch(`${base}/v1/classify`, { method: 'POST', body: seven, headers: { 'Content-Type': 'image/png' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { digit: number }).digit).toBe(set.labels[0]);
  }

  it('curl (chunked, no Content-Length) gets the 413 JSON, and the next request is answered normally', async () => {
    const { spawnSync } = await import('node:child_process');
    for (let round = 0; round < 2; round++) {
      const out = spawnSync(
        'curl',
        ['-sS', '-X', 'POST', '-H', 'Content-Type: image/png', '-H', 'Transfer-Encoding: chunked', '--data-binary', '@-', '-w', '\n%{http_code}', `${base}/v1/classify`],
        { input: Buffer.alloc(MB3, 7), encoding: 'utf8', timeout: 60_000 },
      );
      const lines = out.stdout.trim().split('\n');
      expect(lines.at(-1), out.stderr).toBe('413');
      expect(JSON.parse(lines.slice(0, -1).join('\n')).error.code).toBe('image_too_large');
      await nextRequestIsAnswered();
    }
  });

  it('fetch with a streamed body gets the 413 JSON, and the next request is answered normally', async () => {
    for (let round = 0; round < 2; round++) {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= MB3) return controller.close();
          sent += 64 * 1024;
          controller.enqueue(new Uint8Array(64 * 1024).fill(7));
        },
      });
      const res = await fetch(`${base}/v1/classify`, { method: 'POST', body, headers: { 'Content-Type': 'image/png' }, duplex: 'half' } as RequestInit);
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('image_too_large');
      await nextRequestIsAnswered();
    }
  });
});

/**
 * POST `body` on a connection of its own (no keep-alive) and read the answer: its status. Measured here: on a
 * reused keep-alive connection, Node's fetch sometimes lost a 1-2 MB upload to "other side closed" from
 * wrangler dev's proxy (socket already 78 KB into earlier answers, 53 KB of this body written), and fetch does
 * not retry a POST. An attacker's uploads come on connections of their own anyway.
 */
function postOnOwnConnection(url: string, body: Uint8Array, type: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: { 'Content-Type': type, 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(body);
  });
}

describe('/health while hostile uploads run (wrangler dev, over HTTP)', () => {
  it('keeps answering (worst under 2 s here; the 100 ms target is npm run bench\'s) while each of issue 21\'s hostile uploads is posted, 4 at a time', { timeout: 120_000 }, async () => {
    const cases = hostileCases();
    let running = true;
    const latencies: number[] = [];
    const probe = (async () => {
      while (running) {
        const t = performance.now();
        const res = await fetch(`${base}/health`);
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
        expect(res.status).toBe(200);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const statuses: number[] = [];
    // two rounds at least, and 2 s at least, so the probe gets a sample of latencies however fast they go
    const started = performance.now();
    for (let round = 0; round < 2 || performance.now() - started < 2000; round++) {
      for (let i = 0; i < cases.length; i += 4) {
        const batch = cases.slice(i, i + 4).map(async (c) => {
          statuses.push(await postOnOwnConnection(`${base}/v1/classify`, c.bytes, c.type));
        });
        await Promise.all(batch);
      }
    }
    running = false;
    await probe;
    expect(statuses.filter((s) => s !== 200 && s !== 400), 'every hostile upload answered 200 or 400').toEqual([]);
    expect(latencies.length).toBeGreaterThan(5);
    latencies.sort((a, b) => a - b);
    const median = latencies[latencies.length >> 1];
    console.log(`[uploads] /health while hostile uploads run: median ${median.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms over ${latencies.length}`);
    // The target is 100 ms at most, measured by the bench (health stage). Here, through wrangler dev's proxy
    // (which forwards the 1-2 MB bodies too): median 18 ms, worst 40 ms since PNG data is inflated by
    // native zlib (it was median 173 ms, worst 498-520 ms with fflate). The test holds /health to answering
    // every time, well inside the seconds the attacks took before issue 21.
    expect(latencies.at(-1)).toBeLessThan(2000);
  });
});
