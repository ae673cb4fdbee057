// The demo page: a drawing pad wired to POST /v1/encode and POST /v1/interpolate, plus the sample and
// interpolation controls over the GET endpoints. Plain ES module, no build step; it calls the public API.
const $ = (id) => document.getElementById(id);
const STEPS = 16;
const MORPH_STEPS = 8;

async function failure(res) {
  try { return (await res.json()).error.message; } catch { return res.status + ' ' + res.statusText; }
}

function show(el, text, isError) { el.textContent = text; el.className = (el.className.replace(/\s*error/, '') + (isError ? ' error' : '')).trim(); }

function params(entries) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(entries)) if (v !== '' && v !== undefined) q.set(k, v);
  return q.toString();
}

// ---- the drawing pad ----
const pad = $('pad');
const ctx = pad.getContext('2d');
let target = 8;
let pending = null; // the latest picture waiting to be sent
let busy = false;
let lastDraw = 0;

function clearPad() {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad.width, pad.height);
}

function padPoint(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * (pad.width / box.width), (event.clientY - box.top) * (pad.height / box.height)];
}

let drawing = null;
pad.addEventListener('pointerdown', (event) => {
  pad.setPointerCapture(event.pointerId);
  drawing = padPoint(event);
  stroke(drawing, drawing, event.pressure);
});
pad.addEventListener('pointermove', (event) => {
  if (!drawing) return;
  const next = padPoint(event);
  stroke(drawing, next, event.pressure);
  drawing = next;
  // live while drawing, at most every 250 ms
  if (performance.now() - lastDraw > 250) send();
});
const finish = () => {
  if (!drawing) return;
  drawing = null;
  send();
};
pad.addEventListener('pointerup', finish);
pad.addEventListener('pointercancel', finish);

function stroke([x0, y0], [x1, y1], pressure) {
  ctx.strokeStyle = '#fff';
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  // a pen reports pressure; a mouse reports 0.5 while pressed
  ctx.lineWidth = 14 + 10 * (pressure > 0 ? pressure : 0.5);
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1 + 0.01, y1);
  ctx.stroke();
}

// data-settled on the pad: "false" while a picture is waiting or being read, "true" once everything shown
// (prediction, bars, morph) belongs to the latest picture.
function settled(value) { pad.dataset.settled = String(value); }

function send() {
  lastDraw = performance.now();
  settled(false);
  pending = new Promise((resolve) => pad.toBlob(resolve, 'image/png'));
  pump();
}

$('clear').addEventListener('click', () => {
  clearPad();
  show($('prediction'), 'Draw a digit on the pad.');
  renderBars(null);
});

$('upload').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  settled(false);
  pending = Promise.resolve(file);
  await pump();
  // show the upload on the pad too, so the next strokes add to what was sent
  try {
    const bitmap = await createImageBitmap(file);
    clearPad();
    const s = Math.min(pad.width / bitmap.width, pad.height / bitmap.height);
    ctx.drawImage(bitmap, (pad.width - bitmap.width * s) / 2, (pad.height - bitmap.height * s) / 2, bitmap.width * s, bitmap.height * s);
  } catch { /* the API's message is already shown */ }
});

// One request in flight; while it runs only the newest picture waits.
async function pump() {
  if (busy || !pending) return;
  busy = true;
  const blob = await pending;
  pending = null;
  try {
    await encodePicture(blob);
  } finally {
    busy = false;
    if (pending) pump();
    else settled(true);
  }
}

let lastPicture = null;

async function encodePicture(blob) {
  const res = await fetch('/v1/encode', { method: 'POST', body: blob, headers: { 'Content-Type': blob.type || 'image/png' } });
  if (!res.ok) {
    show($('prediction'), await failure(res), true);
    renderBars(null);
    return;
  }
  const body = await res.json();
  lastPicture = blob;
  $('input').src = 'data:image/png;base64,' + body.input;
  $('recon').src = 'data:image/png;base64,' + body.reconstruction;
  const p = body.probabilities[body.digit];
  show($('prediction'), 'It is a ' + body.digit + ' (' + Math.round(p * 100) + '%)');
  renderBars(body.probabilities, body.digit);
  await morph();
}

function renderBars(probabilities, top) {
  const bars = $('bars');
  bars.replaceChildren();
  if (!probabilities) return;
  probabilities.forEach((p, d) => {
    const bar = document.createElement('div');
    bar.className = d === top ? 'bar top' : 'bar';
    bar.dataset.digit = String(d);
    bar.title = d + ': ' + (p * 100).toFixed(1) + '%';
    const fill = document.createElement('span');
    fill.style.height = Math.max(1, p * 100) + '%';
    const label = document.createElement('b');
    label.textContent = String(d);
    bar.append(fill, label);
    bars.append(bar);
  });
}

for (const b of document.querySelectorAll('[data-morph]')) {
  b.addEventListener('click', async () => {
    target = Number(b.dataset.morph);
    settled(false);
    await morph();
    if (!busy && !pending) settled(true);
  });
}

function markTarget() {
  for (const b of document.querySelectorAll('[data-morph]')) b.setAttribute('aria-pressed', String(Number(b.dataset.morph) === target));
}

async function morph() {
  markTarget();
  if (!lastPicture) return;
  show($('morph-status'), 'morphing into a ' + target + '…');
  const q = params({ to_digit: target, seed: 1, steps: MORPH_STEPS, scale: 3 });
  const res = await fetch('/v1/interpolate?' + q, { method: 'POST', body: lastPicture, headers: { 'Content-Type': lastPicture.type || 'image/png' } });
  if (!res.ok) return show($('morph-status'), await failure(res), true);
  const img = $('morph');
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await res.blob());
  img.dataset.target = String(target);
  show($('morph-status'), 'your digit → ' + target + ', through the autoencoder\'s latent space (' + MORPH_STEPS + ' steps)');
}

// The pad starts with a real digit (a conditional sample, enlarged), so every box shows something real.
async function startPad() {
  clearPad();
  markTarget();
  try {
    const res = await fetch('/v1/digits/3?seed=11&scale=8');
    if (!res.ok) return;
    ctx.drawImage(await createImageBitmap(await res.blob()), 0, 0, pad.width, pad.height);
    send();
    pump();
  } catch { /* the page still works without it */ }
}
startPad();

/** fetch, or null after saying on `status` that the request failed on the network (never "generating…" forever) */
async function fetchOrSay(url, status) {
  try {
    return await fetch(url);
  } catch (err) {
    show(status, 'request failed: ' + (err && err.message ? err.message : String(err)), true);
    return null;
  }
}

// ---- samples ----
async function sample(digit) {
  const path = digit === null ? '/v1/generate' : '/v1/digits/' + digit;
  const url = path + '?' + params({ n: $('n').value, seed: $('seed').value, scale: $('scale').value });
  show($('status'), 'generating…');
  const res = await fetchOrSay(url, $('status'));
  if (!res) return;
  if (!res.ok) return show($('status'), await failure(res), true);
  const img = $('result');
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await res.blob());
  img.hidden = false;
  show($('status'), (digit === null ? 'latent GAN' : 'digit ' + digit) + ', seed ' + res.headers.get('X-Seed') + ' — ' + url);
}

for (const b of document.querySelectorAll('[data-digit]')) {
  if (b.tagName === 'BUTTON') b.addEventListener('click', () => sample(Number(b.dataset.digit)));
}
$('any').addEventListener('click', () => sample(null));

// ---- interpolation between samples ----
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
  const res = await fetchOrSay('/v1/interpolate?' + params({ ...q, format: 'json' }), $('path-status'));
  if (!res) return;
  if (!res.ok) return show($('path-status'), await failure(res), true);
  const body = await res.json();
  frames = body.images;
  $('slider').max = String(frames.length - 1);
  $('slider').disabled = false;
  $('slider').value = '0';
  showFrame(0);
  // the strip shows the same path as the slider (the seeds the JSON says it used, even when the boxes were
  // blank) and pins the model version, so a cached strip can never come from other models
  const version = String(body.model).split('@')[1];
  $('strip').src = '/v1/interpolate?' + params({ ...q, from: body.from, to: body.to, scale: 2, v: version });
  $('strip').hidden = false;
  show($('path-status'), 'seed ' + body.from + ' → ' + body.to + ', model ' + body.model);
});
