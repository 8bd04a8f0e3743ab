/** Prometheus metrics: one registry per server so tests can run several in one process. */
import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from "prom-client";

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<"route" | "code">;
  readonly duration: Histogram<"route">;
  readonly decisions: Counter<"kind" | "allowed">;
  readonly objects: Gauge;

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: "kubeiam_" });
    this.requests = new Counter({ name: "kubeiam_http_requests_total", help: "HTTP requests by route and status code", labelNames: ["route", "code"], registers: [this.registry] });
    this.duration = new Histogram({
      name: "kubeiam_http_request_duration_seconds",
      help: "HTTP request latency by route",
      labelNames: ["route"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
    this.decisions = new Counter({ name: "kubeiam_decisions_total", help: "Decisions recorded by kind and outcome", labelNames: ["kind", "allowed"], registers: [this.registry] });
    this.objects = new Gauge({ name: "kubeiam_store_objects", help: "Objects in the in-memory cache", registers: [this.registry] });
  }
}
