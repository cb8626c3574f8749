/**
 * The dashboard: one self-contained HTML page (no internet, no build) that polls /api/status
 * every second and draws the input rate on a canvas, plus the pipeline's figures and partitions.
 */
export const dashboardPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>salesflow</title>
<style>
 body{font:14px system-ui,sans-serif;margin:1.5rem;background:#fafafa;color:#222}
 h1{font-size:1.3rem;margin:0 0 1rem} .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.6rem}
 .card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6rem}
 .card b{display:block;font-size:1.3rem} table{border-collapse:collapse;margin-top:1rem;background:#fff}
 td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:right} #broker{color:#b00;font-weight:bold}
</style></head><body>
<h1>salesflow <span id="broker"></span></h1>
<canvas id="rate" width="900" height="160" style="background:#fff;border:1px solid #ddd"></canvas>
<div class="grid" id="cards"></div>
<table><thead><tr><th>partition</th><th>position</th><th>end</th><th>lag</th></tr></thead><tbody id="parts"></tbody></table>
<script>
const history = []; let previous;
const fmt = (n) => n === null || n === undefined ? '-' : Number(n).toLocaleString('en-US');
async function poll() {
  try {
    const s = await (await fetch('/api/status')).json();
    const c = s.consumer;
    if (previous) history.push({ t: s.now, rate: (c.consumed - previous.consumed) * 1000 / (s.now - previous.now) });
    previous = { now: s.now, consumed: c.consumed };
    while (history.length > 600) history.shift();
    document.getElementById('broker').textContent = s.brokerError ? 'broker unreachable: ' + s.brokerError : '';
    const cards = { 'input records/s': history.length ? Math.round(history[history.length - 1].rate) : 0,
      consumed: c.consumed, 'produced (acked)': s.producer.acknowledged, lag: c.lag,
      watermark: c.watermark ? new Date(c.watermark).toISOString().slice(11, 19) : '-',
      'windows emitted': c.windowsEmitted, 'rows written': c.rowsWritten, 'open windows': c.openWindows,
      'keys held': c.keys, invalid: c.invalid, late: c.late, 'dead-lettered': c.deadLettered,
      'last batch ms': c.lastBatchMs, 'emit delay ms': c.lastEmitDelayMs };
    document.getElementById('cards').innerHTML = Object.entries(cards)
      .map(([k, v]) => '<div class="card">' + k + '<b>' + (typeof v === 'number' ? fmt(v) : v) + '</b></div>').join('');
    document.getElementById('parts').innerHTML = c.partitions
      .map((p) => '<tr><td>' + p.partition + '</td><td>' + fmt(p.position) + '</td><td>' + fmt(p.highWatermark) + '</td><td>' + fmt(p.lag) + '</td></tr>').join('');
    draw();
  } catch (e) { document.getElementById('broker').textContent = 'monitor unreachable'; }
}
function draw() {
  const cv = document.getElementById('rate'), g = cv.getContext('2d');
  g.clearRect(0, 0, cv.width, cv.height);
  const max = Math.max(1, ...history.map((h) => h.rate));
  g.strokeStyle = '#2a6fdb'; g.beginPath();
  history.forEach((h, i) => { const x = i * cv.width / 600, y = cv.height - 10 - (h.rate / max) * (cv.height - 20); i ? g.lineTo(x, y) : g.moveTo(x, y); });
  g.stroke(); g.fillStyle = '#555'; g.fillText('input rate, max ' + fmt(Math.round(max)) + ' records/s (last 10 min)', 8, 14);
}
setInterval(poll, 1000); poll();
</script></body></html>
`;
