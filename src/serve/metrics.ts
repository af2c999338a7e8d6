/** Prometheus metrics of `airlock serve`: requests, bytes and latency by route. */
import { Counter, Histogram, Registry } from 'prom-client';

/** The server's metrics, in their own registry (no process-wide globals). */
export class ServeMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'airlock_serve_requests_total',
    help: 'Requests answered, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  private readonly bytes = new Counter({
    name: 'airlock_serve_response_bytes_total',
    help: 'Response body bytes sent, by route',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  private readonly seconds = new Histogram({
    name: 'airlock_serve_request_duration_seconds',
    help: 'Time to answer a request, by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });

  /** Records one answered request. */
  observe(route: string, method: string, status: number, bytes: number, ms: number): void {
    this.requests.inc({ route, method, status: String(status) });
    this.bytes.inc({ route }, bytes);
    this.seconds.observe({ route }, ms / 1000);
  }

  /** The text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
