/**
 * GET /: a small page to try every endpoint from a browser. Plain HTML and a script tag, no build step;
 * it calls the same public endpoints any client would, with versioned URLs (`v=` from /health) where it
 * gives seeds. Served with a Content-Security-Policy that allows exactly its own inline script and
 * style (by hash), nosniff, no framing, and a 5-minute cache with an ETag.
 */
import { etagFor, ifNoneMatchHits } from './caching';

export const demoPage = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Latent Digits</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  h1 { margin-bottom: .2rem; } h2 { margin-top: 2rem; font-size: 1.1rem; }
  fieldset { border: 1px solid #ccc; border-radius: 6px; margin: .8rem 0; }
  label { margin-right: 1rem; white-space: nowrap; }
  input[type=number] { width: 8rem; } input.short { width: 4rem; }
  button { font: inherit; padding: .25rem .7rem; margin: .15rem; cursor: pointer; }
  .digits button { min-width: 2.4rem; font-weight: bold; }
  img { image-rendering: pixelated; background: #000; display: block; margin: .6rem 0; max-width: 100%; }
  #status, #path-status { color: #555; font-size: .9rem; min-height: 1.3em; }
  .error { color: #b00020; }
  code { background: #f3f3f3; padding: 0 .25rem; border-radius: 3px; }
</style>
</head>
<body>
<h1>Latent Digits</h1>
<p>Handwritten digits from small generative models trained on MNIST, running in this worker with onnxruntime-web.
Same seed, same image. API: <a href="/openapi.json">/openapi.json</a> · <a href="/v1/models">/v1/models</a> · <a href="/health">/health</a></p>

<fieldset>
  <legend>Samples</legend>
  <label>seed <input id="seed" type="number" min="0" max="4294967295" placeholder="random"></label>
  <label>n <input id="n" type="number" min="1" max="64" value="8" class="short"></label>
  <label>scale <input id="scale" type="number" min="1" max="8" value="4" class="short"></label>
  <div class="digits" role="group" aria-label="digit">
    <span>digit:</span>
    ${Array.from({ length: 10 }, (_, d) => `<button type="button" data-digit="${d}">${d}</button>`).join('')}
    <button type="button" id="any">any (latent GAN)</button>
  </div>
</fieldset>
<div id="status" aria-live="polite"></div>
<img id="result" alt="generated digits" hidden>

<h2>Interpolation</h2>
<fieldset>
  <legend>From one sample to another</legend>
  <label>from seed <input id="from" type="number" min="0" max="4294967295" value="1"></label>
  <label>to seed <input id="to" type="number" min="0" max="4294967295" value="2"></label><br>
  <label>digit from <select id="digit-from"><option value="">any</option>${digitOptions()}</select></label>
  <label>digit to <select id="digit-to"><option value="">any</option>${digitOptions()}</select></label>
  <label>space <select id="space"><option>noise</option><option>latent</option></select></label>
  <button type="button" id="walk">Walk</button>
</fieldset>
<label>step <input id="slider" type="range" min="0" max="15" value="0" disabled></label> <span id="step"></span>
<div id="path-status" aria-live="polite"></div>
<img id="frame" alt="interpolation step" width="168" height="168" hidden>
<img id="strip" alt="interpolation path" hidden>

<script type="module">
const $ = (id) => document.getElementById(id);
const STEPS = 16;
let version = null; // the served model version, for pinned (immutable) URLs

function params(entries) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(entries)) if (v !== '' && v !== undefined && v !== null) q.set(k, v);
  return q.toString();
}

async function failure(res) {
  try { return (await res.json()).error.message; } catch { return res.status + ' ' + res.statusText; }
}

function show(el, text, isError) { el.textContent = text; el.className = isError ? 'error' : ''; }

async function currentVersion() {
  if (version) return version;
  try {
    const res = await fetch('/health');
    if (res.ok) version = (await res.json()).model_version;
  } catch { /* unpinned URLs still work */ }
  return version;
}

async function sample(digit) {
  const path = digit === null ? '/v1/generate' : '/v1/digits/' + digit;
  const seed = $('seed').value;
  const v = seed === '' ? null : await currentVersion();
  const url = path + '?' + params({ n: $('n').value, seed, scale: $('scale').value, v });
  show($('status'), 'generating…');
  try {
    const res = await fetch(url);
    if (!res.ok) return show($('status'), await failure(res), true);
    const img = $('result');
    URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(await res.blob());
    img.hidden = false;
    show($('status'), (digit === null ? 'latent GAN' : 'digit ' + digit) + ', seed ' + res.headers.get('X-Seed') + ' — ' + url);
  } catch (err) {
    show($('status'), 'request failed: ' + err.message, true);
  }
}

for (const b of document.querySelectorAll('[data-digit]')) b.addEventListener('click', () => sample(Number(b.dataset.digit)));
$('any').addEventListener('click', () => sample(null));

let frames = [];
function showFrame(i) {
  $('frame').src = 'data:image/png;base64,' + frames[i];
  $('frame').hidden = false;
  $('step').textContent = (i + 1) + ' / ' + frames.length;
}
$('slider').addEventListener('input', (e) => showFrame(Number(e.target.value)));

$('walk').addEventListener('click', async () => {
  const q = { from: $('from').value, to: $('to').value, steps: STEPS, space: $('space').value,
              digit_from: $('digit-from').value, digit_to: $('digit-to').value };
  show($('path-status'), 'walking…');
  try {
    const res = await fetch('/v1/interpolate?' + params({ ...q, format: 'json' }));
    if (!res.ok) return show($('path-status'), await failure(res), true);
    const body = await res.json();
    frames = body.images;
    $('slider').max = String(frames.length - 1);
    $('slider').disabled = false;
    $('slider').value = '0';
    showFrame(0);
    // The strip uses the seeds the JSON came from (drawn ones too) so both show the same path, pinned to
    // the version that made the frames.
    const v = body.model.split('@')[1];
    $('strip').src = '/v1/interpolate?' + params({ ...q, from: body.from, to: body.to, scale: 2, v });
    $('strip').hidden = false;
    show($('path-status'), 'seed ' + body.from + ' → ' + body.to + ', model ' + body.model);
  } catch (err) {
    show($('path-status'), 'request failed: ' + err.message, true);
  }
});
</script>
</body>
</html>
`;

function digitOptions(): string {
  return Array.from({ length: 10 }, (_, d) => `<option>${d}</option>`).join('');
}

/** The text between `<tag>` and `</tag>` (the page has one of each), for its CSP hash. */
function inline(tag: string): string {
  const start = demoPage.indexOf('>', demoPage.indexOf(`<${tag}`)) + 1;
  return demoPage.slice(start, demoPage.indexOf(`</${tag}>`));
}

async function cspHash(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

let pageHeaders: Promise<Record<string, string>> | null = null;

function headersOfPage(): Promise<Record<string, string>> {
  pageHeaders ??= (async () => ({
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': [
      "default-src 'none'",
      `script-src ${await cspHash(inline('script'))}`,
      `style-src ${await cspHash(inline('style'))}`,
      "img-src 'self' data: blob:",
      "connect-src 'self' blob:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'public, max-age=300',
    ETag: await etagFor('page', demoPage),
  }))();
  return pageHeaders;
}

/** GET / (and HEAD): the page with its security and cache headers, or 304. */
export async function servePage(request: Request): Promise<Response> {
  const headers = await headersOfPage();
  if (ifNoneMatchHits(request.headers.get('If-None-Match'), headers.ETag)) {
    const { 'Content-Type': _, ...rest } = headers;
    return new Response(null, { status: 304, headers: rest });
  }
  const body = new TextEncoder().encode(demoPage);
  return new Response(request.method === 'HEAD' ? null : body, {
    headers: { ...headers, 'Content-Length': String(body.length) },
  });
}
