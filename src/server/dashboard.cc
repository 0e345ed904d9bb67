// The dashboard: one page that polls the HTTP API. No build step, no external assets.
#include "server/http_service.h"

namespace harch {

const char* DashboardHtml() {
  return R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>HarchOS</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fafafa}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px}
table{border-collapse:collapse;background:#fff;min-width:600px}
th,td{padding:4px 10px;border-bottom:1px solid #e3e3e3;text-align:left;white-space:nowrap}
th{background:#f0f2f5;font-weight:600} td.num{text-align:right}
.muted{color:#667} .pending{color:#a15c00} .running{color:#0a7d32} .failed{color:#b3261e}
.bar{display:inline-block;height:10px;background:#2f6fde;vertical-align:middle}
.bartrack{display:inline-block;width:120px;height:10px;background:#e3e7ee}
</style></head><body>
<h1>HarchOS</h1><div class="muted" id="status">loading...</div>
<h2>Fleet</h2><table id="hubs"></table>
<h2>Jobs</h2><table id="jobs"></table>
<h2>Queues</h2><table id="queues"></table>
<script>
const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
function table(id, head, rows) {
  document.getElementById(id).innerHTML =
    '<tr>' + head.map(h => '<th>' + h + '</th>').join('') + '</tr>' +
    rows.map(r => '<tr>' + r.map(c => '<td>' + c + '</td>').join('') + '</tr>').join('');
}
function bar(used, total) {
  const w = total ? Math.round(120 * used / total) : 0;
  return '<span class="bartrack"><span class="bar" style="width:' + w + 'px"></span></span> ' + used + '/' + total;
}
async function refresh() {
  try {
    const [fleet, jobs, queues] = await Promise.all(
      ['/v1/fleet/summary', '/v1/jobs?limit=50', '/v1/queues'].map(u => fetch(u).then(r => r.json())));
    document.getElementById('status').textContent =
      fleet.nodes + ' nodes, ' + fleet.gpus.total + ' GPUs, ' + fleet.gpus.allocated + ' allocated; ' +
      fleet.jobs_running + ' jobs running, ' + fleet.jobs_pending + ' pending; fragmentation ' +
      (100 * fleet.fragmentation).toFixed(1) + '%';
    table('hubs', ['hub', 'country', 'nodes up', 'GPUs allocated', 'free', 'models'],
      fleet.hubs.map(h => [esc(h.id), esc(h.country), h.nodes_up + '/' + h.nodes, bar(h.gpus.allocated, h.gpus.total),
        h.gpus.free, esc(Object.entries(h.models).map(([m, n]) => n + ' ' + m).join(', '))]));
    table('jobs', ['id', 'name', 'tenant', 'state', 'GPUs', 'attempt', 'reason'],
      jobs.jobs.map(j => [j.id, esc(j.name), esc(j.tenant), '<span class="' + esc(j.state) + '">' + esc(j.state) + '</span>',
        j.gpus, j.attempt, esc(j.reason).slice(0, 120)]));
    table('queues', ['tenant', 'weight', 'GPUs in use', 'pending', 'running'],
      queues.queues.map(q => [esc(q.tenant), q.weight, (q.gpu_milli_in_use / 1000).toFixed(1), q.pending, q.running]));
  } catch (e) {
    document.getElementById('status').textContent = 'cannot reach the API: ' + e;
  }
}
refresh(); setInterval(refresh, 2000);
</script></body></html>
)HTML";
}

}  // namespace harch
