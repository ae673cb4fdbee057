// Prints the V8 heap usage of one inspector target as JSON: `node --experimental-websocket heap-usage.mjs <ws url>`.
// A separate process because Node 20 has a WebSocket client only behind that flag (bench/lib/inspector.ts).
const ws = new WebSocket(process.argv[2]);
const timer = setTimeout(() => {
  process.stdout.write(JSON.stringify({ error: 'timeout' }));
  process.exit(1);
}, 15000);
ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage' }));
ws.onmessage = (e) => {
  const m = JSON.parse(String(e.data));
  if (m.id !== 1) return;
  process.stdout.write(JSON.stringify(m.result ?? { error: m.error?.message ?? 'no result' }));
  clearTimeout(timer);
  ws.close();
  process.exit(0);
};
ws.onerror = () => {
  process.stdout.write(JSON.stringify({ error: 'websocket error' }));
  process.exit(1);
};
