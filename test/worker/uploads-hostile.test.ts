/**
 * Issue 21's hostile uploads (test/robustness/hostile-cases.ts) through the deployed worker inside
 * workerd: each named case on every upload endpoint answers its JSON status; field names that are
 * Object.prototype's are plain names. (/health while they run is measured over real HTTP, in
 * test/served/uploads.test.ts: here the test's own requests share the worker's isolate.)
 */
import { describe, expect, it } from 'vitest';
import { hostileCases } from '../robustness/hostile-cases';
import { SEVEN_JPEG_BASE64 } from './upload-fixtures';
import { fromBase64, get } from './worker';

const CASES = hostileCases();

function post(path: string, body: Uint8Array | string | FormData, type?: string): Promise<Response> {
  return get(path, { method: 'POST', body: body as BodyInit, headers: type ? { 'Content-Type': type } : {} });
}

async function expectAnswer(res: Response, expected: { status: number; code: string }, label: string): Promise<void> {
  expect(res.status, label).toBe(expected.status);
  expect(res.headers.get('Content-Type'), label).toMatch(/^application\/json/);
  const body = (await res.json()) as { error?: { code: string; message: string } };
  if (expected.status === 200) return;
  expect(body.error?.code, label).toBe(expected.code);
  expect(body.error?.message, label).toMatch(/\S/);
}

describe('hostile uploads inside workerd', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.expect.status} ${c.expect.code} on /v1/classify, /v1/encode and /v1/interpolate`, async () => {
      await expectAnswer(await post('/v1/classify', c.bytes, c.type), c.expect, 'classify');
      await expectAnswer(await post('/v1/encode?format=json', c.bytes, c.type), c.expect, 'encode');
      await expectAnswer(await post('/v1/interpolate?to_digit=3&seed=1&format=json&steps=2', c.bytes, c.type), c.expect, 'interpolate');
    });
  }
});

describe('field names that Object.prototype has', () => {
  const seven = fromBase64(SEVEN_JPEG_BASE64);

  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    it(`a multipart field and a JSON member named ${name} are unknown parameters, not "given twice"`, async () => {
      const form = new FormData();
      form.append('from', new Blob([seven as BlobPart], { type: 'image/jpeg' }), 'a.jpg');
      form.append(name, '3');
      const res = await post('/v1/interpolate?to_digit=3&seed=1&format=json', form);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'unknown_parameter',
        message: expect.stringContaining(JSON.stringify(name)),
      });
      const body = `{"from": "${SEVEN_JPEG_BASE64}", ${JSON.stringify(name)}: "3"}`;
      const resJson = await post('/v1/interpolate?to_digit=3&seed=1&format=json', body, 'application/json');
      expect(resJson.status).toBe(400);
      expect(((await resJson.json()) as { error: { code: string } }).error.code).toBe('unknown_parameter');
    });
  }

  it('a query parameter named constructor is refused by name too', async () => {
    const res = await post('/v1/interpolate?to_digit=3&constructor=1', seven, 'image/jpeg');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unknown_parameter');
  });
});
