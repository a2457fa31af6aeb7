// The charts page: a tenant's passes by provider, what failed them, how long they took,
// and the deliveries of its inbound sources, hour by hour (GET /admin/v1/charts).
import { api } from './api.js';
import { h, show } from './dom.js';
import { lines, stackedBars } from './svg-charts.js';

// As the outcome badges: ok green, failed red, partial and stopped amber-brown, running blue.
const outcomeTones = { ok: 's2', failed: 's4', partial: 's1', stopped: 's5', running: 's0' };
const spans = [[24, 'Last 24 hours'], [72, 'Last 3 days'], [168, 'Last week']];

export async function chartsPage(main, { hours }) {
  const data = await api.charts(hours);
  const sum = (values) => values.reduce((a, b) => a + b, 0);
  const byProvider = (series) => [...new Set(series.map((x) => x.provider))].sort();
  const passes = byProvider(data.passes).map((provider) => ({
    label: provider, values: data.hours.map((_, i) => sum(data.passes.filter((x) => x.provider === provider).map((x) => x.counts[i]))),
  }));
  const outcomes = [...new Set(data.passes.map((x) => x.outcome))].sort().map((outcome) => ({
    label: outcome, tone: outcomeTones[outcome], values: data.hours.map((_, i) => sum(data.passes.filter((x) => x.outcome === outcome).map((x) => x.counts[i]))),
  }));
  const errors = data.errors.map((x) => ({ label: `${x.provider}: ${x.kind}`, values: x.counts }));
  const durations = data.durations.flatMap((x) => [{ label: `${x.provider} p50`, values: x.p50 }, { label: `${x.provider} p99`, values: x.p99 }]);
  const deliveries = data.deliveries.map((x) => ({ label: x.state, values: x.counts }));

  const span = h('select', { id: 'span', onchange: (event) => { location.hash = `#/charts?hours=${event.target.value}`; } },
    spans.map(([value, label]) => h('option', { value, selected: value === hours }, label)));
  show(main,
    h('h1', {}, 'Charts'),
    h('p', { class: 'filter' }, h('label', { for: 'span' }, 'Period '), span),
    h('p', { class: 'help' }, `Hour by hour, from what the engine records: ${sum(passes.flatMap((x) => x.values))} passes, ${sum(errors.flatMap((x) => x.values))} failed. `
      + 'Queue depth, webhook ingress and watch deliveries over time are in the Prometheus metrics at /metrics.'),
    stackedBars('chart-passes', 'Passes by provider', data.hours, passes, 'No passes in this period.'),
    stackedBars('chart-outcomes', 'Passes by outcome', data.hours, outcomes, 'No passes in this period.'),
    stackedBars('chart-errors', 'Failed passes by provider and error', data.hours, errors, 'No pass failed in this period.'),
    lines('chart-durations', 'How long passes took (p50 and p99)', data.hours, durations, ' ms', 'No pass finished in this period.'),
    stackedBars('chart-deliveries', 'Inbound deliveries by state', data.hours, deliveries, 'No inbound deliveries in this period.'));
}
