// The local dashboard (`GET /_local/dashboard`): endpoints with their fault mode, load (in flight
// at the simulated endpoint, and as the routers count it) and health,
// the traffic split, the latest routing decisions, cost so far, rollouts, and each tenant's spend
// in its budget's current period against the budget (from the usage records). Decisions are read
// from the x-switchyard-* headers of the answers passing through the API Gateway emulation, so
// the handlers carry no local-only code.
import type { HealthSnapshot, Rollout, TenantProfile, UsageStore } from '@switchyard/core';
import { periodWindow, policyRolloutPhases, usdToNanos } from '@switchyard/core';

export interface DecisionRecord {
  at: number;
  method: string;
  path: string;
  status: number;
  model?: string;
  endpoint?: string;
  attempts?: number;
  policy?: string;
  strategy?: string;
  cost_usd?: number;
  reason?: string;
  latency_ms: number;
}

/** The latest decisions (a ring buffer) and running totals per endpoint. */
export class DecisionLog {
  private readonly items: DecisionRecord[] = [];
  readonly served = new Map<string, number>();
  totalCostUsd = 0;
  requests = 0;
  errors = 0;

  constructor(private readonly capacity = 200) {}

  add(record: DecisionRecord): void {
    this.requests++;
    if (record.status >= 400) this.errors++;
    if (record.endpoint) this.served.set(record.endpoint, (this.served.get(record.endpoint) ?? 0) + 1);
    if (record.cost_usd) this.totalCostUsd += record.cost_usd;
    this.items.push(record);
    if (this.items.length > this.capacity) this.items.shift();
  }

  /** Builds a record from a response's headers (lower-cased names). */
  static fromResponse(
    method: string,
    path: string,
    status: number,
    headers: Record<string, string | string[]>,
    latencyMs: number,
    at: number,
  ): DecisionRecord {
    const h = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const num = (name: string) => {
      const v = h(name);
      return v === undefined ? undefined : Number(v);
    };
    const record: DecisionRecord = { at, method, path, status, latency_ms: Math.round(latencyMs * 10) / 10 };
    const fields: Array<[keyof DecisionRecord, string | number | undefined]> = [
      ['model', h('x-switchyard-model')],
      ['endpoint', h('x-switchyard-endpoint')],
      ['attempts', num('x-switchyard-attempts')],
      ['policy', h('x-switchyard-policy')],
      ['strategy', h('x-switchyard-strategy')],
      ['cost_usd', num('x-switchyard-cost-usd')],
      ['reason', h('x-switchyard-route-reason')],
    ];
    for (const [k, v] of fields) if (v !== undefined) (record as unknown as Record<string, unknown>)[k] = v;
    return record;
  }

  recent(limit = 50): DecisionRecord[] {
    return this.items.slice(-limit).reverse();
  }
}

/** The page: static HTML that polls `/_local/state` once a second. */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchyard local</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1f24;background:#fafbfc}
h1{font-size:1.3rem;margin:0 0 .2rem} h2{font-size:1rem;margin:1.4rem 0 .4rem}
table{border-collapse:collapse;width:100%;background:#fff} td,th{padding:.25rem .5rem;border-bottom:1px solid #e3e6ea;text-align:left;white-space:nowrap}
th{font-weight:600;background:#f1f3f5} .ok{color:#1a7f37} .bad{color:#cf222e} .warn{color:#9a6700}
.bar{display:inline-block;height:.7rem;background:#0969da;vertical-align:middle}
button{font:inherit;padding:.1rem .4rem;margin-right:.2rem} .muted{color:#57606a}
#totals span{margin-right:1.5rem}
</style></head><body>
<h1>Switchyard &middot; local stack</h1>
<div id="totals" class="muted"></div>
<h2>Endpoints</h2><table id="endpoints"></table>
<h2>Latest decisions</h2><table id="decisions"></table>
<h2>Rollouts</h2><table id="rollouts"></table>
<h2>Tenants: spend against budget</h2><table id="tenants"></table>
<script>
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
async function fault(id, mode) {
  await fetch('/_local/endpoints/' + encodeURIComponent(id) + '/fault', { method: 'POST', body: JSON.stringify({ mode }) });
  refresh();
}
function cls(v) { return v === 'up' || v === 'ok' || v === 'closed' ? 'ok' : v === 'down' || v === 'open' || v === 'error' ? 'bad' : 'warn'; }
async function refresh() {
  const s = await (await fetch('/_local/state')).json();
  document.getElementById('totals').innerHTML =
    '<span>requests ' + s.totals.requests + '</span><span>errors ' + s.totals.errors + '</span>' +
    '<span>cost $' + s.totals.cost_usd.toFixed(9) + '</span>';
  const max = Math.max(1, ...s.endpoints.map((e) => e.served));
  document.getElementById('endpoints').innerHTML =
    '<tr><th>endpoint</th><th>model</th><th>kind</th><th>fault</th><th>health</th><th>circuit</th><th>latency (ewma)</th><th title="time to first token of streamed requests: EWMA / p95">TTFT (ewma / p95)</th><th title="requests the simulated endpoint is serving">in flight (endpoint)</th><th title="requests in flight as the routers report them through the health table">in flight (router)</th><th>served</th><th>share</th><th></th></tr>' +
    s.endpoints.map((e) => '<tr><td>' + esc(e.id) + '</td><td>' + esc(e.model) + '</td><td>' + esc(e.kind) +
      '</td><td class="' + cls(e.fault) + '">' + esc(e.fault) + '</td><td class="' + cls(e.health) + '">' + esc(e.health) +
      '</td><td class="' + cls(e.circuit) + '">' + esc(e.circuit) + '</td><td>' + esc(e.latency_ms) + '</td><td>' + esc(e.ttft_ms) + (e.ttft_p95_ms === '' ? '' : ' / ' + esc(e.ttft_p95_ms)) + '</td><td>' + esc(e.inflight) +
      '</td><td>' + esc(e.router_inflight) + '</td><td>' + e.served + '</td><td><span class="bar" style="width:' + (100 * e.served / max) + 'px"></span></td><td>' +
      ['ok','slow','error','down'].map((m) => '<button onclick="fault(\\'' + esc(e.id) + '\\',\\'' + m + '\\')">' + m + '</button>').join('') +
      '</td></tr>').join('');
  document.getElementById('decisions').innerHTML =
    '<tr><th>time</th><th>request</th><th>status</th><th>model</th><th>endpoint</th><th>attempts</th><th>policy</th><th>cost $</th><th>ms</th><th>why</th></tr>' +
    s.decisions.map((d) => '<tr><td>' + new Date(d.at).toLocaleTimeString() + '</td><td>' + esc(d.method + ' ' + d.path) +
      '</td><td class="' + (d.status < 400 ? 'ok' : 'bad') + '">' + d.status + '</td><td>' + esc(d.model) + '</td><td>' + esc(d.endpoint) +
      '</td><td>' + esc(d.attempts) + '</td><td>' + esc(d.policy) + '</td><td>' + esc(d.cost_usd) + '</td><td>' + esc(d.latency_ms) +
      '</td><td class="muted">' + esc(d.reason) + '</td></tr>').join('');
  document.getElementById('rollouts').innerHTML = s.rollouts.length === 0
    ? '<tr><td class="muted">no rollouts</td></tr>'
    : '<tr><th>id</th><th>model</th><th>stable</th><th>candidate</th><th>weight</th><th>status</th><th>why</th></tr>' +
      s.rollouts.map((r) => '<tr><td>' + esc(r.id) + '</td><td>' + esc(r.model) + '</td><td>' + esc(r.stable) + '</td><td>' +
        esc(r.candidate) + '</td><td>' + esc(r.weight) + '</td><td class="' + cls(r.status === 'promoted' ? 'ok' : r.status === 'rolled-back' ? 'error' : 'warn') +
        '">' + esc(r.status) + '</td><td class="muted">' + esc(r.reason) + '</td></tr>').join('');
  document.getElementById('tenants').innerHTML =
    '<tr><th>tenant</th><th>plan</th><th>budget</th><th>period</th><th>spent $</th><th>used</th><th></th></tr>' +
    (s.tenants || []).map((t) => '<tr><td>' + esc(t.id) + '</td><td>' + esc(t.plan) + '</td><td>' +
      (t.limit_usd === null ? '<span class="muted">none</span>' : '$' + esc(t.limit_usd) + ' / ' + esc(t.period)) +
      '</td><td>' + esc(t.period_key) + '</td><td>' + t.spent_usd.toFixed(9) + '</td><td class="' +
      (t.used_share === null ? '' : t.used_share >= 1 ? 'bad' : t.used_share >= 0.8 ? 'warn' : 'ok') + '">' +
      (t.used_share === null ? '' : (100 * t.used_share).toFixed(1) + '%') + '</td><td><span class="bar" style="width:' +
      (t.used_share === null ? 0 : Math.min(100, 100 * t.used_share)) + 'px"></span></td></tr>').join('');
}
refresh(); setInterval(refresh, 1000);
</script></body></html>`;
}

export interface DashboardSources {
  endpoints: () => Array<{ id: string; model: string; kind: string; fault: string }>;
  inflight: (id: string) => number;
  log: DecisionLog;
  health: () => Promise<HealthSnapshot>;
  rollouts: () => Promise<Rollout[]>;
  /** Each tenant's spend in its budget's current period (tenantSpend). */
  tenants?: () => Promise<TenantSpend[]>;
}

/** One dashboard row: a tenant's spend in its budget's current period (the month without a budget). */
export interface TenantSpend {
  id: string;
  plan: string;
  limit_usd: number | null;
  period: string;
  period_key: string;
  spent_usd: number;
  /** spent / limit; null without a budget. */
  used_share: number | null;
}

/** Spend per tenant from the usage records of its budget's current period. */
export async function tenantSpend(
  tenants: () => Promise<TenantProfile[]>,
  usage: Pick<UsageStore, 'query'>,
  now: number,
): Promise<TenantSpend[]> {
  const out: TenantSpend[] = [];
  for (const t of await tenants()) {
    const period = t.budget?.period ?? 'month';
    const w = periodWindow(period, now);
    const nanos = (await usage.query(t.id, w.starts_at, Math.min(w.ends_at, now + 1))).reduce(
      (sum, r) => sum + r.cost_nanos,
      0,
    );
    const limit = t.budget ? usdToNanos(t.budget.limit_usd) : null;
    out.push({
      id: t.id,
      plan: t.plan,
      limit_usd: t.budget?.limit_usd ?? null,
      period,
      period_key: w.key,
      spent_usd: nanos / 1_000_000_000,
      used_share: limit === null ? null : limit === 0 ? (nanos > 0 ? 1 : 0) : nanos / limit,
    });
  }
  return out;
}

/** The JSON the page polls: `GET /_local/state`. */
export async function dashboardState(src: DashboardSources): Promise<unknown> {
  const [health, rollouts, tenants] = await Promise.all([
    src.health().catch((): HealthSnapshot => ({ endpoints: {} })),
    src.rollouts().catch((): Rollout[] => []),
    (src.tenants?.() ?? Promise.resolve([])).catch((): TenantSpend[] => []),
  ]);
  return {
    totals: { requests: src.log.requests, errors: src.log.errors, cost_usd: src.log.totalCostUsd },
    endpoints: src.endpoints().map((e) => {
      const h = Object.hasOwn(health.endpoints, e.id) ? health.endpoints[e.id] : undefined;
      return {
        ...e,
        health: h?.status ?? 'unknown',
        circuit: h?.circuit ?? 'closed',
        latency_ms: h?.latency_ewma_ms === undefined ? '' : Math.round(h.latency_ewma_ms),
        // Streamed requests' time to first token, beside total latency (EWMA, and its p95 tail).
        ttft_ms: h?.ttft_ewma_ms === undefined ? '' : Math.round(h.ttft_ewma_ms),
        ttft_p95_ms: h?.ttft_p95_ms === undefined ? '' : Math.round(h.ttft_p95_ms),
        inflight: src.inflight(e.id),
        // The routers' own count, summed from their fresh in-flight reports in the health table.
        router_inflight: (health.inflight_reports ?? []).reduce(
          (n, r) => n + (Object.hasOwn(r.inflight, e.id) ? (r.inflight[e.id] ?? 0) : 0),
          0,
        ),
        served: src.log.served.get(e.id) ?? 0,
      };
    }),
    decisions: src.log.recent(),
    rollouts: rollouts
      .sort((a, b) => b.created_at - a.created_at)
      .slice(0, 20)
      .map((r) => ({
        id: r.id,
        ...(r.kind === 'policy'
          ? { model: `policy ${r.policy}`, stable: 'static', candidate: 'learned' }
          : { model: r.model, stable: r.stable, candidate: r.candidate }),
        weight:
          r.status !== 'running'
            ? ''
            : `${(r.kind === 'policy' ? policyRolloutPhases(r) : r.steps)[r.current_step] ?? 0}%`,
        status: r.status,
        reason: r.outcome?.reason ?? '',
      })),
    tenants,
  };
}
