/**
 * Prometheus metrics in the text exposition format. A small registry of our own instead of
 * prom-client: it costs ~190 ms of start-up to load, and we need only counters, a gauge and a
 * histogram (see docs/adr/0002-own-http-router-and-metrics.md).
 */

type Labels = Record<string, string>;

const escLabel = (v: string): string => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labelText = (l: Labels): string => {
  const keys = Object.keys(l);
  return keys.length === 0 ? "" : `{${keys.map((k) => `${k}="${escLabel(l[k]!)}"`).join(",")}}`;
};

/** A cheap per-request key (label values in insertion order); the text form is built only to render. */
function fastKey(l: Labels): string {
  let k = "";
  for (const v of Object.values(l)) k += v + "\u0001";
  return k;
}

interface Metric {
  render(): string;
}

export class Counter<L extends string> implements Metric {
  private readonly values = new Map<string, { labels: Labels; v: number }>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Record<L, string>, by = 1): void {
    const key = fastKey(labels);
    const e = this.values.get(key);
    if (e) e.v += by;
    else this.values.set(key, { labels, v: by });
  }
  get(labels: Record<L, string>): number {
    return this.values.get(fastKey(labels))?.v ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const e of this.values.values()) lines.push(`${this.name}${labelText(e.labels)} ${e.v}`);
    return lines.join("\n");
  }
}

export class Gauge implements Metric {
  private v = 0;
  constructor(readonly name: string, readonly help: string, private readonly collect?: () => number) {}
  set(v: number): void {
    this.v = v;
  }
  render(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n${this.name} ${this.collect ? this.collect() : this.v}`;
  }
}

export class Histogram<L extends string> implements Metric {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {}
  observe(labels: Record<L, string>, v: number): void {
    const key = fastKey(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels, counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: String(b) })} ${s.counts[i]!}`));
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: "+Inf" })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines.join("\n");
  }
}

export class Registry {
  private readonly metricsList: Metric[] = [];
  readonly contentType = "text/plain; version=0.0.4; charset=utf-8";
  register<M extends Metric>(m: M): M {
    this.metricsList.push(m);
    return m;
  }
  metrics(): string {
    return this.metricsList.map((m) => m.render()).join("\n") + "\n";
  }
}

export class Metrics {
  readonly registry = new Registry();
  readonly requests = this.registry.register(new Counter<"route" | "code">("kubeiam_http_requests_total", "HTTP requests by route and status code"));
  readonly duration = this.registry.register(new Histogram<"route">("kubeiam_http_request_duration_seconds", "HTTP request latency by route", [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]));
  readonly decisions = this.registry.register(new Counter<"kind" | "allowed">("kubeiam_decisions_total", "Decisions recorded by kind and outcome"));
  readonly objects = this.registry.register(new Gauge("kubeiam_store_objects", "Objects in the in-memory cache"));

  constructor() {
    this.registry.register(new Gauge("process_resident_memory_bytes", "Resident memory size in bytes", () => process.memoryUsage().rss));
    this.registry.register(new Gauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds", () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    }));
    this.registry.register(new Gauge("process_start_time_seconds", "Start time of the process since the epoch in seconds", () => Math.floor(Date.now() / 1000 - process.uptime())));
  }
}
