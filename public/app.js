// The demo page: a drawing pad wired to POST /v1/encode and POST /v1/interpolate, plus the sample and
// interpolation controls over the GET endpoints. Plain ES module, no build step; it calls the public API.
// When GET /v1/models lists more than one dataset, a selector appears and every request names the chosen one.
const $ = (id) => document.getElementById(id);
const STEPS = 16;
const MORPH_STEPS = 8;
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
// seed 3: the served classifier reads each of its ten conditional samples as its digit with p >= 0.99 (seed 11's 9 read as a 4)
const EXAMPLE_SEED = 3;

async function failure(res) {
  try { return (await res.json()).error.message; } catch { return res.status + ' ' + res.statusText; }
}

function show(el, text, isError) { el.textContent = text; el.className = (el.className.replace(/\s*error/, '') + (isError ? ' error' : '')).trim(); }

function params(entries) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(entries)) if (v !== '' && v !== undefined) q.set(k, v);
  return q.toString();
}

// ---- datasets ----
// `dataset` stays undefined (the API's default, MNIST) unless /v1/models offers a choice: an API that knows
// one dataset may not take the parameter at all.
let dataset;
let classes = DIGITS;
const isDigits = () => classes.every((name, i) => name === String(i));
const className = (i) => classes[i] ?? String(i);
const withDataset = (entries) => ({ ...entries, dataset });

// ---- the drawing pad ----
const pad = $('pad');
const ctx = pad.getContext('2d');
// What the page calls one picture of the dataset: a digit of MNIST, an item of Fashion-MNIST's clothes and shoes.
const noun = () => (isDigits() ? 'digit' : 'item');
const aNoun = () => (isDigits() ? 'a digit' : 'an item');
const invitation = () => 'Draw ' + aNoun() + ' on the pad, and the classifier reads it as you draw.';
const morphHint = () => 'Draw ' + aNoun() + ' first; then pick what it should become.';
let target = 8;
let pending = null; // the latest picture waiting to be sent
let busy = false;
let lastDraw = 0;
let lastPicture = null; // the picture the views below the pad show
// Clear bumps this; an answer to a picture sent before it is dropped instead of repainting cleared views.
let generation = 0;

function clearPad() {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad.width, pad.height);
}

function inked(value) { $('pad-hint').hidden = value; }

/** The pad and every view derived from it back to the first screen. */
function clearAll() {
  generation++;
  pending = null;
  lastPicture = null;
  clearPad();
  inked(false);
  for (const id of ['input', 'recon']) $(id).removeAttribute('src');
  $('pair').hidden = true;
  show($('prediction'), invitation());
  renderBars(null);
  const strip = $('morph');
  if (strip.src.startsWith('blob:')) URL.revokeObjectURL(strip.src);
  strip.removeAttribute('src');
  strip.removeAttribute('data-target');
  strip.hidden = true;
  show($('morph-status'), morphHint());
  settled(true);
}

function padPoint(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * (pad.width / box.width), (event.clientY - box.top) * (pad.height / box.height)];
}

let drawing = null;
pad.addEventListener('pointerdown', (event) => {
  pad.setPointerCapture(event.pointerId);
  drawing = padPoint(event);
  inked(true);
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

/** Draws `source` (an image file or blob) onto the cleared pad, scaled to fit, and sends it. */
async function loadIntoPad(source) {
  const bitmap = await createImageBitmap(source);
  clearAll();
  const s = Math.min(pad.width / bitmap.width, pad.height / bitmap.height);
  ctx.drawImage(bitmap, (pad.width - bitmap.width * s) / 2, (pad.height - bitmap.height * s) / 2, bitmap.width * s, bitmap.height * s);
  inked(true);
}

$('clear').addEventListener('click', clearAll);

$('upload').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  // the file itself is sent (not the pad's copy of it), so the API reads the upload as it is
  try {
    await loadIntoPad(file);
  } catch {
    clearAll(); // the browser cannot show it; the API still says what is wrong with it
  }
  settled(false);
  pending = Promise.resolve(file);
  await pump();
});

// One request in flight; while it runs only the newest picture waits.
async function pump() {
  if (busy || !pending) return;
  busy = true;
  const blob = await pending;
  pending = null;
  try {
    await encodePicture(blob, generation);
  } finally {
    busy = false;
    if (pending) pump();
    else settled(true);
  }
}

async function encodePicture(blob, sentIn) {
  const res = await fetch('/v1/encode?' + params(withDataset({})), { method: 'POST', body: blob, headers: { 'Content-Type': blob.type || 'image/png' } });
  const body = res.ok ? await res.json() : await failure(res);
  if (sentIn !== generation) return;
  if (!res.ok) {
    show($('prediction'), body, true);
    renderBars(null);
    return;
  }
  lastPicture = blob;
  $('input').src = 'data:image/png;base64,' + body.input;
  $('recon').src = 'data:image/png;base64,' + body.reconstruction;
  $('pair').hidden = false;
  const p = body.probabilities[body.digit];
  const name = body.class_name ?? className(body.digit);
  show($('prediction'), (isDigits() ? 'It is a ' : 'It looks like: ') + name + ' (' + Math.round(p * 100) + '%)');
  renderBars(body.probabilities, body.digit);
  await morph();
}

function renderBars(probabilities, top) {
  const bars = $('bars');
  bars.replaceChildren();
  bars.hidden = !probabilities;
  if (!probabilities) return;
  probabilities.forEach((p, d) => {
    const bar = document.createElement('div');
    bar.className = d === top ? 'bar top' : 'bar';
    bar.dataset.digit = String(d);
    bar.title = className(d) + ': ' + (p * 100).toFixed(1) + '%';
    const fill = document.createElement('span');
    fill.style.height = Math.max(1, p * 100) + '%';
    const label = document.createElement('b');
    label.textContent = isDigits() ? String(d) : className(d).slice(0, 3);
    bar.append(fill, label);
    bars.append(bar);
  });
  const ranked = probabilities.map((p, d) => [p, d]).sort((a, b) => b[0] - a[0]).slice(0, 3);
  bars.setAttribute('aria-label', 'class probabilities: ' + ranked.map(([p, d]) => className(d) + ' ' + Math.round(p * 100) + '%').join(', '));
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
  if (!lastPicture) return show($('morph-status'), morphHint());
  const sentIn = generation;
  show($('morph-status'), 'morphing into ' + (isDigits() ? 'a ' : '') + className(target) + '…');
  const q = params(withDataset({ to_digit: target, seed: 1, steps: MORPH_STEPS, scale: 3 }));
  const res = await fetch('/v1/interpolate?' + q, { method: 'POST', body: lastPicture, headers: { 'Content-Type': lastPicture.type || 'image/png' } });
  const answer = res.ok ? await res.blob() : await failure(res);
  if (sentIn !== generation) return;
  if (!res.ok) return show($('morph-status'), answer, true);
  const img = $('morph');
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(answer);
  img.dataset.target = String(target);
  img.hidden = false;
  show($('morph-status'), 'your ' + noun() + ' → ' + className(target) + ', through the autoencoder\'s latent space (' + MORPH_STEPS + ' steps)');
}

// ---- examples to start from: generated digits, one per class, that a click loads into the pad ----
function exampleUrl(d, scale) { return '/v1/digits/' + d + '?' + params(withDataset({ seed: EXAMPLE_SEED, scale })); }

function renderExamples() {
  const row = $('examples');
  row.replaceChildren();
  classes.forEach((name, d) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'example';
    button.dataset.example = String(d);
    const img = document.createElement('img');
    img.src = exampleUrl(d, 2);
    img.alt = 'load an example ' + name + ' into the pad';
    img.width = 40;
    img.height = 40;
    button.append(img);
    button.addEventListener('click', async () => {
      settled(false);
      try {
        const res = await fetch(exampleUrl(d, 1));
        if (!res.ok) throw new Error(await failure(res));
        await loadIntoPad(await res.blob());
        send();
      } catch (err) {
        show($('prediction'), 'could not load the example: ' + (err && err.message ? err.message : String(err)), true);
        settled(true);
      }
    });
    row.append(button);
  });
}

clearAll();
markTarget();
renderExamples();

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
  const url = path + '?' + params(withDataset({ n: $('n').value, seed: $('seed').value, scale: $('scale').value }));
  show($('status'), 'generating…');
  const res = await fetchOrSay(url, $('status'));
  if (!res) return;
  if (!res.ok) return show($('status'), await failure(res), true);
  const img = $('result');
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await res.blob());
  img.hidden = false;
  show($('status'), (digit === null ? 'latent GAN' : (isDigits() ? 'digit ' : 'class ') + className(digit)) + ', seed ' + res.headers.get('X-Seed') + ' — ' + url);
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
  const q = withDataset({ from: $('from').value, to: $('to').value, steps: STEPS, space: $('space').value,
                          digit_from: $('digit-from').value, digit_to: $('digit-to').value });
  show($('path-status'), 'walking…');
  const res = await fetchOrSay('/v1/interpolate?' + params({ ...q, format: 'json' }), $('path-status'));
  if (!res) return;
  if (!res.ok) return show($('path-status'), await failure(res), true);
  const body = await res.json();
  frames = body.images;
  $('slider').max = String(frames.length - 1);
  $('slider').disabled = false;
  $('stepper').hidden = false;
  $('slider').value = '0';
  showFrame(0);
  // the strip shows the same path as the slider (the seeds the JSON says it used, even when the boxes were
  // blank) and pins the model version, so a cached strip can never come from other models
  const version = body.version ?? String(body.model).split('@')[1];
  $('strip').src = '/v1/interpolate?' + params({ ...q, from: body.from, to: body.to, scale: 2, v: version });
  $('strip').hidden = false;
  show($('path-status'), 'seed ' + body.from + ' → ' + body.to + ', model ' + body.model);
});

// ---- the dataset selector, shown only when /v1/models lists more than one dataset ----
/** `first`: the page's own choice at load, which keeps whatever the person already drew. */
function chooseDataset(entry, first = false) {
  dataset = entry.id;
  classes = Array.isArray(entry.classes) && entry.classes.length === 10 ? entry.classes.map(String) : DIGITS;
  for (const el of document.querySelectorAll('[data-noun]')) el.textContent = el.dataset.noun === 'a' ? aNoun() : noun();
  for (const el of document.querySelectorAll('[data-class-word]')) el.textContent = isDigits() ? 'digit' : 'class';
  $('pad').setAttribute('aria-label', 'drawing pad: draw one ' + noun() + ' with a mouse, finger or pen');
  for (const b of document.querySelectorAll('[data-morph]')) b.textContent = className(Number(b.dataset.morph));
  for (const b of document.querySelectorAll('button[data-digit]')) b.textContent = className(Number(b.dataset.digit));
  for (const id of ['digit-from', 'digit-to']) {
    for (const option of $(id).options) if (option.value !== '') option.textContent = className(Number(option.value));
  }
  renderExamples();
  if (first) return;
  clearAll();
  $('result').src = '/v1/generate?' + params(withDataset({ n: 8, seed: 1, scale: 4 }));
  show($('status'), 'latent GAN, seed 1');
  for (const id of ['frame', 'strip']) $(id).hidden = true;
  $('slider').disabled = true;
  $('stepper').hidden = true;
  show($('path-status'), '');
}

async function offerDatasets() {
  let list;
  try {
    const res = await fetch('/v1/models');
    if (!res.ok) return;
    list = (await res.json()).datasets;
  } catch { return; /* the page works on the default dataset */ }
  if (!Array.isArray(list) || list.length < 2) return;
  const select = $('dataset');
  for (const entry of list) select.append(new Option(entry.title || entry.id, entry.id));
  select.addEventListener('change', () => chooseDataset(list[select.selectedIndex]));
  $('dataset-row').hidden = false;
  chooseDataset(list[0], true);
}
offerDatasets();
